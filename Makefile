# Chat Webhook Relay — `make run` to start it, `make test` to prove it.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# The code needs a JDK >= 21 (virtual threads) while the machine's default java may be older:
# take JAVA_HOME if it is new enough, else `java` on PATH, else the newest JDK under /usr/lib/jvm.
define FIND_JDK
major() { "$$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'; }; \
ok() { [ -x "$$1/bin/javac" ] && [ "$$(major "$$1")" -ge 21 ] 2>/dev/null; }; \
if [ -n "$$JAVA_HOME" ] && ok "$$JAVA_HOME"; then echo "$$JAVA_HOME"; exit; fi; \
onpath=$$(command -v java) && onpath=$$(dirname "$$(dirname "$$(readlink -f "$$onpath")")") && ok "$$onpath" && { echo "$$onpath"; exit; }; \
best=; bestv=0; for h in /usr/lib/jvm/*/; do h=$${h%/}; v=$$(major "$$h"); \
  if ok "$$h" && [ "$$v" -gt "$$bestv" ]; then best=$$h; bestv=$$v; fi; done; echo "$$best"
endef
define DESCRIBE_JDKS
for h in "$$JAVA_HOME" $$(command -v java >/dev/null && dirname "$$(dirname "$$(readlink -f "$$(command -v java)")")") /usr/lib/jvm/*/; do \
  [ -x "$$h/bin/java" ] && printf '%s (%s) ' "$${h%/}" "$$("$$h/bin/java" -version 2>&1 | head -1)"; done
endef
JDK_FOUND := $(shell $(FIND_JDK))
JDK = $(or $(JDK_FOUND),$(error No JDK >= 21 found; saw: $(shell $(DESCRIBE_JDKS)) — install one or set JAVA_HOME))
MVN = JAVA_HOME=$(JDK) mvn -B -ntp -q
JAR := target/chat-webhook.jar
SOURCES := pom.xml $(shell find src/main web -type f 2>/dev/null)

.PHONY: run run-cluster build test bench clean test-deps

build: $(JAR)

$(JAR): $(SOURCES)
	$(MVN) package -DskipTests
	@echo "Built $(JAR) with $(JDK)"

.env:
	cp .env.example .env
	@echo "Created .env from .env.example: edit WEBHOOK_URL to point at your real endpoint."

# Out of memory, the JVM exits (status 3) rather than limping on without answering; see docs/chat-webhook-relay.service
# for running it under systemd, which restarts it.
run: $(JAR) .env
	$(JDK)/bin/java -XX:+ExitOnOutOfMemoryError -jar $(JAR)

# Three instances on ports 8081-8083 sharing a throwaway PostgreSQL (needs the postgresql package: make test-deps);
# the rest of their settings from .env. Ctrl-C stops all and deletes the database. See scripts/run-cluster.sh.
run-cluster: $(JAR) .env
	JAVA=$(JDK)/bin/java scripts/run-cluster.sh $(JAR)

# Everything the suite needs on a fresh Debian machine (run as root there), then the whole suite. The PostgreSQL
# tests only need the server's binaries: they initdb and start a cluster of their own in a temp folder.
# The emoji font only makes the delivery marks render in screenshots; the tests read text, not pixels.
test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] \
	    || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then \
	  echo "Installing chromium, chromium-driver and an emoji font for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver fonts-noto-color-emoji; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing postgresql for the PostgreSQL store tests (each run starts its own throwaway cluster)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

test: test-deps
	JAVA_HOME=$(JDK) mvn -B -ntp test

# The benchmark of docs/performance.md: the real jar as a child process, receivers in another JVM, one table
# printed and written to target/bench/results.json and docs/performance.md. Takes a few minutes. Row 11 times the
# chat page in the tests' headless Chromium, hence test-deps.
# Some rows only: make bench BENCH_ARGS="--only 2,4" (the doc is then left alone). Options for the jar's JVM, e.g.
# a flight recording: make bench BENCH_JVM='-Dbench.jarOptions=-XX:StartFlightRecording -Dbench.jfrDump=target/bench'
BENCH_CP := target/bench-classpath.txt
bench: $(JAR) test-deps
	$(MVN) test-compile org.apache.maven.plugins:maven-dependency-plugin:3.11.0:build-classpath \
	  -Dmdep.outputFile=$(BENCH_CP) -Dmdep.includeScope=test
	$(JDK)/bin/java $(BENCH_JVM) \
	  -cp target/test-classes:target/classes:$$(cat $(BENCH_CP)) relay.bench.Bench \
	  --java $(JDK)/bin/java --jar $(JAR) --out target/bench --doc docs/performance.md $(BENCH_ARGS)

clean:
	rm -rf target
