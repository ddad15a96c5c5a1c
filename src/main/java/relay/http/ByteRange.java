package relay.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a file a {@code Range} request header asks for (RFC 9110 §14). Players need it: Safari plays no video
 * from a server that cannot answer {@code bytes=0-1}, and any browser seeks in a long recording by asking for the
 * part it jumps to. Only one range is served; a header asking for several, for another unit or written wrongly is
 * ignored, and the whole file is the answer, as the RFC allows.
 */
record ByteRange(long first, long last) {
    /** {@code bytes=first-[last]} or {@code bytes=-suffix}; at most 18 digits, so every number fits a long. */
    private static final Pattern SINGLE = Pattern.compile("bytes=(?:(\\d{1,18})-(\\d{1,18})?|-(\\d{1,18}))",
            Pattern.CASE_INSENSITIVE);
    private static final int BUFFER = 64 * 1024;

    ByteRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("a range runs from its first byte to a last one at or after it");
        }
    }

    /** What to answer a request for a file of {@code size} bytes. */
    sealed interface Wanted {
        /** 200 with the whole file. */
        record Whole() implements Wanted {
        }

        /** 206 with this part. */
        record Part(ByteRange range) implements Wanted {
        }

        /** 416: the range starts past the end of the file. */
        record Unsatisfiable() implements Wanted {
        }
    }

    /** @param header the {@code Range} header, or null when there is none */
    static Wanted of(String header, long size) {
        if (header == null) {
            return new Wanted.Whole();
        }
        Matcher m = SINGLE.matcher(header.strip());
        if (!m.matches()) {
            return new Wanted.Whole();
        }
        if (m.group(3) != null) {
            long suffix = Long.parseLong(m.group(3));
            return suffix == 0 || size == 0 ? new Wanted.Unsatisfiable()
                    : new Wanted.Part(new ByteRange(Math.max(0, size - suffix), size - 1));
        }
        long first = Long.parseLong(m.group(1));
        long last = m.group(2) == null ? Long.MAX_VALUE : Long.parseLong(m.group(2));
        if (last < first) {
            return new Wanted.Whole();
        }
        return first >= size ? new Wanted.Unsatisfiable()
                : new Wanted.Part(new ByteRange(first, Math.min(last, size - 1)));
    }

    long length() {
        return last - first + 1;
    }

    /** The {@code Content-Range} of this part of a file of {@code size} bytes. */
    String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }

    /** The {@code Content-Range} of a 416: the file's size. */
    static String unsatisfied(long size) {
        return "bytes */" + size;
    }

    /** Copies this part of {@code in} (positioned at the file's start) to {@code out}. */
    void copy(InputStream in, OutputStream out) throws IOException {
        in.skipNBytes(first);
        byte[] buffer = new byte[(int) Math.min(BUFFER, length())];
        long left = length();
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new IOException("the file ended " + left + " bytes before the range did");
            }
            out.write(buffer, 0, read);
            left -= read;
        }
    }
}
