package relay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

/**
 * The packages' layering as the README's Architecture section draws it: each package names the packages it may use
 * and any other edge fails, a class in a package not named here fails, and no packages depend on each other in a
 * cycle. Only the main classes count; tests may reach anywhere.
 */
class ArchitectureTest {
    /** Read from where App was loaded, the main classes' folder (or jar), so that no test class counts. */
    private static final JavaClasses MAIN = new ClassFileImporter()
            .importUrl(App.class.getProtectionDomain().getCodeSource().getLocation());

    @Test
    void shouldKeepEachPackageToThePackagesItMayUse() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("domain").definedBy("relay.domain")
                .layer("log").definedBy("relay.log")
                .layer("config").definedBy("relay.config")
                .layer("store").definedBy("relay.store")
                .layer("store.jdbc").definedBy("relay.store.jdbc")
                .layer("store.sqlite").definedBy("relay.store.sqlite")
                .layer("store.postgres").definedBy("relay.store.postgres")
                .layer("webhook").definedBy("relay.webhook")
                .layer("chat").definedBy("relay.chat")
                .layer("demo").definedBy("relay.demo")
                .layer("http").definedBy("relay.http")
                .layer("wiring").definedBy("relay")
                .whereLayer("domain").mayNotAccessAnyLayer()
                .whereLayer("log").mayNotAccessAnyLayer()
                .whereLayer("config").mayOnlyAccessLayers("domain", "log")
                .whereLayer("store").mayOnlyAccessLayers("domain", "log")
                .whereLayer("store.jdbc").mayOnlyAccessLayers("domain")
                .whereLayer("store.jdbc").mayOnlyBeAccessedByLayers("store.sqlite", "store.postgres")
                .whereLayer("store.sqlite").mayOnlyAccessLayers("store", "store.jdbc", "domain", "log")
                .whereLayer("store.sqlite").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("store.postgres").mayOnlyAccessLayers("store", "store.jdbc", "domain", "log")
                .whereLayer("store.postgres").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("webhook").mayOnlyAccessLayers("domain", "store", "config", "log")
                .whereLayer("chat").mayOnlyAccessLayers("domain", "store", "webhook", "config", "log")
                .whereLayer("demo").mayOnlyAccessLayers("webhook", "domain", "log")
                .whereLayer("http")
                .mayOnlyAccessLayers("chat", "domain", "store", "webhook", "demo", "config", "log")
                .whereLayer("wiring").mayNotBeAccessedByAnyLayer()
                .ensureAllClassesAreContainedInArchitecture()
                .check(MAIN);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        slices().matching("relay.(**)").should().beFreeOfCycles().check(MAIN);
    }

    /** What a second backend plugs into names no SQLite: only its own package does. */
    @Test
    void shouldUseSqliteOnlyInItsOwnPackage() {
        noClasses().that().resideOutsideOfPackage("relay.store.sqlite")
                .should().dependOnClassesThat().resideInAnyPackage("org.sqlite..")
                .check(MAIN);
    }

    /** Likewise PostgreSQL's driver and the connection pool: only the PostgreSQL store names them. */
    @Test
    void shouldUsePostgresAndItsPoolOnlyInTheirOwnPackage() {
        noClasses().that().resideOutsideOfPackage("relay.store.postgres")
                .should().dependOnClassesThat().resideInAnyPackage("org.postgresql..", "com.zaxxer..")
                .check(MAIN);
    }

    /** JDBC is the backends' business (and the row reading they share): nothing else speaks SQL. */
    @Test
    void shouldUseJdbcOnlyInTheStoreBackends() {
        noClasses().that().resideOutsideOfPackages("relay.store.sqlite", "relay.store.postgres", "relay.store.jdbc")
                .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..")
                .check(MAIN);
    }
}
