package relay.chat;

import java.util.Optional;
import relay.domain.MessageKind;

/** ISO base media files (MP4, M4A, 3GP, QuickTime): the brands in the leading {@code ftyp} box name the format. */
final class Ftyp {
    private static final int MAJOR_BRAND = 8;
    private static final int COMPATIBLE_BRANDS = 16;
    private static final int MAX_BOX = 256;

    private Ftyp() {
    }

    /** The major brand decides; when it is unknown (e.g. a vendor's own), the first known compatible brand does. */
    static Optional<KindDetector.Detected> probe(Head head) {
        if (!head.hasAscii(4, "ftyp")) {
            return Optional.empty();
        }
        Optional<KindDetector.Detected> major = byBrand(head.latin1(MAJOR_BRAND, 4));
        if (major.isPresent()) {
            return major;
        }
        long boxEnd = Math.min(Math.min(head.u32be(0), MAX_BOX), head.length());
        for (int at = COMPATIBLE_BRANDS; at + 4 <= boxEnd; at += 4) {
            Optional<KindDetector.Detected> compatible = byBrand(head.latin1(at, 4));
            if (compatible.isPresent()) {
                return compatible;
            }
        }
        return Optional.empty();
    }

    private static Optional<KindDetector.Detected> byBrand(String brand) {
        if (brand.startsWith("3gp")) {
            return video("video/3gpp");
        }
        if (brand.startsWith("3g2")) {
            return video("video/3gpp2");
        }
        return switch (brand) {
            case "M4A ", "M4B " -> KindDetector.found(MessageKind.AUDIO, "audio/mp4");
            case "qt  " -> video("video/quicktime");
            case "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "M4V ", "dash" -> video("video/mp4");
            default -> Optional.empty();
        };
    }

    private static Optional<KindDetector.Detected> video(String mimeType) {
        return KindDetector.found(MessageKind.VIDEO, mimeType);
    }
}
