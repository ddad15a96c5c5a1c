package relay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for the tests of this JVM: started by the first {@link #newDatabase()} from the
 * binaries of Debian's {@code postgresql} package, in a fresh temp folder, on a free loopback port, with a random
 * password (scram-sha-256, so every URL carries a secret that must stay out of output) and {@code fsync=off} (unless
 * {@link #DURABLE}); stopped and deleted when the JVM exits. Each test (or class) gets a database of its own.
 *
 * <p>PostgreSQL refuses to run as root: as root the folder is given to the {@code postgres} account and every
 * command runs through {@code runuser -u postgres --}; as another user, directly. There is no skipping: without the
 * binaries the tests fail and say how to install them.
 */
public final class Postgres {
    /**
     * System property: {@code true} keeps PostgreSQL's durability settings as they ship (every commit flushed to
     * disk), for measuring it against SQLite's {@code synchronous=FULL}; the tests leave it off for speed.
     */
    public static final String DURABLE = "relay.postgres.durable";
    private static final String SUPERUSER = "relay";
    private static final String RUN_AS = "postgres";
    private static final Path INSTALLS = Path.of("/usr/lib/postgresql");
    private static final Path RUNUSER = Path.of("/usr/sbin/runuser");
    private static final ReentrantLock STARTING = new ReentrantLock();
    /** Guarded by {@link #STARTING}. */
    private static Postgres cluster;
    /** Why the cluster could not start, so later tests fail at once with the same reason; guarded by STARTING. */
    private static RuntimeException startFailure;

    private final Path bin;
    private final Path folder;
    private final int port;
    private final String password;
    private final boolean asRoot;
    private final AtomicInteger databases = new AtomicInteger();

    /**
     * One database of the cluster, fresh and empty.
     *
     * @param url      as an operator writes DATABASE_URL: {@code postgres://relay:…@127.0.0.1:port/name}
     * @param jdbcUrl  the same without credentials, for the driver
     * @param password the superuser's password, a secret no output may show
     */
    public record Database(String url, String jdbcUrl, String user, String password, String name) {
        @Override
        public String toString() {
            return jdbcUrl;
        }
    }

    private Postgres(Path bin, Path folder, int port, String password, boolean asRoot) {
        this.bin = bin;
        this.folder = folder;
        this.port = port;
        this.password = password;
        this.asRoot = asRoot;
    }

    /** A new, empty database; the cluster is started first when this JVM has none yet. */
    public static Database newDatabase() {
        return cluster().createDatabase("");
    }

    /**
     * A new database holding what {@code template} holds (PostgreSQL copies it file by file): quicker than filling an
     * empty one again. Nothing may be connected to {@code template} while it is copied.
     */
    public static Database copyOf(Database template) {
        return cluster().createDatabase(" TEMPLATE " + template.name());
    }

    private static Postgres cluster() {
        STARTING.lock();
        try {
            if (startFailure != null) {
                throw startFailure;
            }
            if (cluster == null) {
                try {
                    cluster = start();
                } catch (RuntimeException e) {
                    startFailure = e;
                    throw e;
                }
            }
            return cluster;
        } finally {
            STARTING.unlock();
        }
    }

    private static Postgres start() {
        Path bin = installedBin();
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        try {
            Path folder = Files.createTempDirectory("relay-postgres-");
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            String password = HexFormat.of().formatHex(secret);
            Path passwordFile = Files.writeString(folder.resolve("password"), password, StandardCharsets.UTF_8);
            if (asRoot) {
                giveTo(folder, passwordFile);
            }
            Postgres postgres = new Postgres(bin, folder, freePort(), password, asRoot);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(postgres::stopAndDelete));
            postgres.run(bin.resolve("initdb").toString(), "-D", postgres.data(), "-U", SUPERUSER,
                    "--auth=scram-sha-256", "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C.UTF-8");
            postgres.serve();
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a PostgreSQL cluster for the tests", e);
        }
    }

    /** The newest installed version's binaries. */
    private static Path installedBin() {
        try (Stream<Path> versions = Files.isDirectory(INSTALLS) ? Files.list(INSTALLS) : Stream.empty()) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                    .max(Comparator.comparing(bin -> versionOf(bin.getParent())))
                    .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (no " + INSTALLS
                            + "/*/bin/initdb): the PostgreSQL store tests start a cluster of their own from its"
                            + " binaries. Run `make test-deps` as root (it installs Debian's postgresql package)."));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int versionOf(Path install) {
        try {
            return Integer.parseInt(install.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void giveTo(Path folder, Path passwordFile) throws IOException {
        UserPrincipal owner;
        try {
            owner = folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(RUN_AS);
        } catch (UserPrincipalNotFoundException e) {
            throw new IllegalStateException("running as root, the tests start PostgreSQL as the `" + RUN_AS
                    + "` account, which does not exist: run `make test-deps` as root", e);
        }
        Files.setOwner(folder, owner);
        Files.setOwner(passwordFile, owner);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts the server on the cluster's folder and port, and returns once it takes connections. */
    private void serve() throws IOException {
        run(bin.resolve("pg_ctl").toString(), "-D", data(), "-w", "-t", "60",
                "-l", folder.resolve("server.log").toString(), "-o", "-c listen_addresses=127.0.0.1 -c port="
                        + port + " -c unix_socket_directories=" + folder
                        + (Boolean.getBoolean(DURABLE) ? "" : " -c fsync=off -c synchronous_commit=off"
                        + " -c full_page_writes=off") + " -c max_connections=300 -c shared_buffers=32MB", "start");
    }

    /** The server's own process (the postmaster), whose children are its sessions: for measuring its CPU. */
    public static long serverPid() {
        try {
            return Long.parseLong(Files.readAllLines(Path.of(cluster().data(), "postmaster.pid")).getFirst().strip());
        } catch (IOException e) {
            throw new UncheckedIOException("the tests' PostgreSQL is not running", e);
        }
    }

    /**
     * Stops the server as an operator does ({@code pg_ctl stop -m fast}: sessions ended, transactions under way rolled
     * back, no new connection taken) until {@link #startServer()}. Every database of this JVM goes with it, so only a
     * test that owns the whole JVM's use of PostgreSQL for the while may call it; tests of one JVM run one at a time.
     */
    public static void stopServer() {
        Postgres postgres = cluster();
        try {
            postgres.run(postgres.bin.resolve("pg_ctl").toString(), "-D", postgres.data(), "-m", "fast", "-w",
                    "stop");
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the tests' PostgreSQL", e);
        }
    }

    /** Starts the server {@link #stopServer()} stopped, on the same port with the same databases. */
    public static void startServer() {
        try {
            cluster().serve();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the tests' PostgreSQL again", e);
        }
    }

    private String data() {
        return folder.resolve("data").toString();
    }

    private Database createDatabase(String options) {
        String name = "relay_test_" + databases.incrementAndGet();
        try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name + options);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + " (" + e.getMessage() + ")", e);
        }
        String jdbcUrl = "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
        return new Database("postgres://" + SUPERUSER + ":" + password + "@127.0.0.1:" + port + "/" + name, jdbcUrl,
                SUPERUSER, password, name);
    }

    /** Drops {@code database}, ending any connection to it. */
    public static void drop(Database database) {
        cluster().administer("DROP DATABASE " + database.name() + " WITH (FORCE)");
    }

    /**
     * Cuts {@code database} off as a server that went away does: open connections are ended and new ones refused,
     * until {@link #reconnect}.
     */
    public static void cutOff(Database database) {
        cluster().administer("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS false",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database.name() + "'");
    }

    /** Takes connections to {@code database} again. */
    public static void reconnect(Database database) {
        cluster().administer("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS true");
    }

    private void administer(String... statements) {
        try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not administer the tests' PostgreSQL (" + e.getMessage() + ")", e);
        }
    }

    private Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", SUPERUSER);
        properties.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
    }

    /** Runs a PostgreSQL command to its end, as the account that may run it; fails with its output otherwise. */
    private void run(String... command) throws IOException {
        List<String> line = new ArrayList<>();
        if (asRoot) {
            line.addAll(List.of(Files.isExecutable(RUNUSER) ? RUNUSER.toString() : "runuser", "-u", RUN_AS, "--"));
        }
        line.addAll(List.of(command));
        Path output = Files.createTempFile("relay-postgres-", ".out");
        try {
            Process process = new ProcessBuilder(line).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(command[0] + " did not finish within 2 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", line) + " exited " + process.exitValue() + ":\n"
                        + Files.readString(output).replace(password, "…"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command[0], e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** At JVM exit: an immediate stop (nothing in it is worth a checkpoint), then the folder goes. */
    private void stopAndDelete() {
        try {
            run(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "immediate", "-w", "stop");
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the tests' PostgreSQL in " + folder + ": " + e.getMessage());
        }
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + folder + ": " + e.getMessage());
        }
    }
}
