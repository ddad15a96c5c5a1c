package relay.chat;

import java.nio.charset.StandardCharsets;

/** Read-only views of a file's first bytes, every read bounds-checked so a short or hostile head never throws. */
final class Head {
    private final byte[] bytes;

    Head(byte[] bytes) {
        this.bytes = bytes;
    }

    int length() {
        return bytes.length;
    }

    byte[] bytes() {
        return bytes;
    }

    boolean hasAscii(int offset, String text) {
        if (offset < 0 || offset + text.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (bytes[offset + i] != (byte) text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    boolean hasBytes(int offset, int... values) {
        if (offset < 0 || offset + values.length > bytes.length) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (bytes[offset + i] != (byte) values[i]) {
                return false;
            }
        }
        return true;
    }

    /** The byte at {@code offset} as 0-255, or -1 past the end. */
    int u8(int offset) {
        return offset >= 0 && offset < bytes.length ? bytes[offset] & 0xFF : -1;
    }

    /** Little-endian, or -1 when the head ends first. */
    int u16le(int offset) {
        int low = u8(offset);
        int high = u8(offset + 1);
        return low < 0 || high < 0 ? -1 : low | high << 8;
    }

    /** Little-endian, or -1 when the head ends first. */
    long u32le(int offset) {
        int low = u16le(offset);
        int high = u16le(offset + 2);
        return low < 0 || high < 0 ? -1 : (long) high << 16 | low;
    }

    /** Big-endian, or -1 when the head ends first. */
    long u32be(int offset) {
        int high = u16be(offset);
        int low = u16be(offset + 2);
        return high < 0 || low < 0 ? -1 : (long) high << 16 | low;
    }

    private int u16be(int offset) {
        int high = u8(offset);
        int low = u8(offset + 1);
        return high < 0 || low < 0 ? -1 : high << 8 | low;
    }

    /** The bytes at {@code [offset, offset + length)} as Latin-1 (one char per byte), or "" past the end. */
    String latin1(int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > bytes.length) {
            return "";
        }
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    int indexOf(String ascii, int from, int to) {
        int end = Math.min(to, bytes.length) - ascii.length();
        for (int i = Math.max(from, 0); i <= end; i++) {
            if (hasAscii(i, ascii)) {
                return i;
            }
        }
        return -1;
    }
}
