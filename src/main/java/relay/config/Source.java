package relay.config;

/** Where a configuration value came from; shown on the settings page. */
public enum Source {
    ENV_FILE(".env"), ENVIRONMENT("environment"), DEFAULT("default"),
    /** Changed on the settings page (PUT /chat/config) and kept in the database: wins over the others. */
    SAVED("saved");

    private final String label;

    Source(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
