package relay.config;

/** Where a configuration value came from; shown read-only on the settings page. */
public enum Source {
    ENV_FILE(".env"), ENVIRONMENT("environment"), DEFAULT("default");

    private final String label;

    Source(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
