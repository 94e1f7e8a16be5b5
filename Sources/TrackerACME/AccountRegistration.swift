/// Lets one ACME order at a time run while the account is not registered yet: two first orders at
/// once (two on-demand names in the same second) would both register the same key, which CAs
/// handle badly (Pebble answers `serverInternal: Error saving account`). Once the account URL is
/// stored, orders run side by side again.
actor AccountRegistration {
    static let shared = AccountRegistration()

    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
