package relay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The bench's rows: printed as one table, written as JSON, and kept in docs/performance.md with the run before. */
final class Report {
    enum Verdict { MET, MISSED, INFO, ERROR }

    /**
     * @param result what was measured, as read by a person
     * @param note   the measured gap where a target is missed, or what was configured differently for this row
     * @param data   the raw numbers, for results.json
     */
    record Row(String id, String measure, String result, String target, Verdict verdict, String note,
               Map<String, Object> data) {
    }

    private static final String LATEST_START = "<!-- bench:latest -->";
    private static final String LATEST_END = "<!-- /bench:latest -->";
    private static final String PREVIOUS_START = "<!-- bench:previous -->";
    private static final String PREVIOUS_END = "<!-- /bench:previous -->";

    private final Map<String, Object> machine;
    private final List<Row> rows = new ArrayList<>();

    Report(Map<String, Object> machine) {
        this.machine = machine;
    }

    void add(Row row) {
        rows.add(row);
        System.out.println("  " + row.id() + " " + row.measure() + ": " + row.result() + " [" + row.verdict() + "]");
    }

    boolean hasErrors() {
        return rows.stream().anyMatch(r -> r.verdict() == Verdict.ERROR);
    }

    String table() {
        StringBuilder b = new StringBuilder();
        b.append("| # | Measure | Result | Target | Verdict | Notes |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.id()).append(" | ").append(cell(r.measure())).append(" | ").append(cell(r.result()))
                    .append(" | ").append(cell(r.target())).append(" | ").append(verdict(r.verdict())).append(" | ")
                    .append(cell(r.note())).append(" |\n");
        }
        return b.toString();
    }

    private static String verdict(Verdict v) {
        return switch (v) {
            case MET -> "met";
            case MISSED -> "**missed**";
            case INFO -> "—";
            case ERROR -> "**error**";
        };
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    String machineLine() {
        return machine.get("cores") + " cores, " + machine.get("jdk") + ", " + machine.get("os") + ", load average "
                + machine.get("load_average_at_start") + " at start, " + machine.get("date");
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", machine);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("measure", r.measure());
            m.put("result", r.result());
            m.put("target", r.target());
            m.put("verdict", r.verdict().name().toLowerCase(Locale.ROOT));
            m.put("note", r.note());
            m.put("data", r.data());
            list.add(m);
        }
        root.put("rows", list);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Http.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }

    /**
     * Puts this run in the "Latest run" section of {@code doc} and moves what was there to "Previous run"; the rest of
     * the file (the hand-written analysis) is kept as it is.
     */
    void updateDoc(Path doc, String command) throws IOException {
        String latest = LATEST_START + "\n## Latest run\n\n" + machineLine() + ". Reproduce with `" + command
                + "`.\n\n" + table() + LATEST_END;
        String text = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8)
                : "# Performance\n\n" + LATEST_START + "\n" + LATEST_END + "\n\n" + PREVIOUS_START + "\n"
                + PREVIOUS_END + "\n";
        int ls = text.indexOf(LATEST_START);
        int le = text.indexOf(LATEST_END);
        if (ls < 0 || le < ls) {
            text = text + "\n" + LATEST_START + "\n" + LATEST_END + "\n\n" + PREVIOUS_START + "\n" + PREVIOUS_END + "\n";
            ls = text.indexOf(LATEST_START);
            le = text.indexOf(LATEST_END);
        }
        String old = text.substring(ls + LATEST_START.length(), le).strip();
        text = text.substring(0, ls) + latest + text.substring(le + LATEST_END.length());
        if (!old.isEmpty()) {
            String previous = PREVIOUS_START + "\n" + old.replaceFirst("## Latest run", "## Previous run") + "\n"
                    + PREVIOUS_END;
            int ps = text.indexOf(PREVIOUS_START);
            int pe = text.indexOf(PREVIOUS_END);
            if (ps < 0 || pe < ps) {
                text = text + "\n" + previous + "\n";
            } else {
                text = text.substring(0, ps) + previous + text.substring(pe + PREVIOUS_END.length());
            }
        }
        Files.createDirectories(doc.toAbsolutePath().getParent());
        Files.writeString(doc, text, StandardCharsets.UTF_8);
    }
}
