@testable import EventLog
import Foundation
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    @Test func knownVectors() {
        // RFC 3720 (iSCSI) test vectors and the classic check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    /// The CPU's instruction is used where the CPU has it (x86-64 with SSE 4.2 here).
    @Test func usesTheInstructionWhenTheCPUHasIt() {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        #expect(CRC32C.hardwareAvailable == (cpuinfo.contains(" sse4_2") || cpuinfo.contains(" crc32")))
    }

    @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 1000, 4099])
    func hardwareAndSoftwareAgree(length: Int) {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &g) }
        let sw = bytes.withUnsafeBytes { CRC32C.software($0, seed: 0) }
        #expect(CRC32C.checksum(bytes) == sw)
        // Chaining through a seed equals one pass.
        let half = length / 2
        let a = CRC32C.checksum(Array(bytes[..<half]))
        #expect(CRC32C.checksum(Array(bytes[half...]), seed: a) == sw)
    }
}
