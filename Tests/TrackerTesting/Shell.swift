import Foundation

/// Runs a command and returns its standard output; throws with its standard error on failure.
/// Output goes through files, not pipes: a pipe's end inherited by some other child would keep
/// the read from ever seeing its end.
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(_ command: String, _ arguments: [String]) throws -> String {
        let directory = TemporaryDirectory("shell")
        defer { directory.remove() }
        let out = directory.file("out"), err = directory.file("err")
        let child = try ChildProcess(command, arguments, stdout: out, stderr: err)
        let code = child.wait()
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard code == 0 else {
            let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw Failure(description: "\(command) failed (\(code)): \(errors)")
        }
        return output
    }
}
