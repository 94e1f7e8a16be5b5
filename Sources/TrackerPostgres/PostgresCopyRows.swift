import Foundation
import NIOCore
import TrackerCore

/// Events as `COPY ... FROM STDIN` text rows, in `PostgresEventRows.columns` order: tab-separated,
/// `\N` for NULL, backslash escapes for tab, newline, carriage return and backslash. COPY skips the
/// per-value binding and planning of a multi-row INSERT.
enum PostgresCopyRows {
    static func write(_ events: ArraySlice<Event>, into buffer: inout ByteBuffer) {
        for event in events {
            text(event.eid, &buffer)
            tab(&buffer)
            buffer.writeString(Timestamp.format(event.created))
            tab(&buffer)
            buffer.writeStaticString(event.isServer ? "t" : "f")
            var identityTexts: [String?] = []
            for field in PostgresEventRows.textFields {
                tab(&buffer)
                if PostgresIdentity.textColumn(field) != nil {
                    let split = event[field].map(PostgresIdentity.split)
                    text(split?.uuid, &buffer)
                    identityTexts.append(split?.text)
                } else {
                    text(event[field], &buffer)
                }
            }
            for field in PostgresEventRows.numberFields {
                tab(&buffer)
                guard let value = event[field], value.isFinite else {
                    buffer.writeStaticString("\\N")
                    continue
                }
                if field.isInteger {
                    buffer.writeString(String(PostgresEventRows.integer(field, value)))
                } else {
                    buffer.writeString(String(value))
                }
            }
            tab(&buffer)
            text(event.params.isEmpty ? nil : JSONWriter.serialize(event.params), &buffer)
            tab(&buffer)
            text(event.nparams.isEmpty ? nil : JSONWriter.serialize(event.nparams), &buffer)
            for identity in identityTexts {
                tab(&buffer)
                text(identity, &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func tab(_ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\t"))
    }

    static func text(_ value: String?, _ buffer: inout ByteBuffer) {
        guard let value else {
            buffer.writeStaticString("\\N")
            return
        }
        let utf8 = value.utf8
        // Most values need no escape: written in one call.
        if !utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
            buffer.writeString(value)
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x5C: buffer.writeStaticString("\\\\")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0: break // text cannot hold NUL in PostgreSQL; dropped
            default: buffer.writeInteger(byte)
            }
        }
    }
}
