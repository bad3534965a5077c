# shellcheck shell=bash
# The zookeeper service (sourced by lib.sh, never run): Apache ZooKeeper standalone, for
# ClickHouse's Replicated tables and ON CLUSTER DDL. Jars from Maven Central, cached like Kafka's.

export TRIBUTARY_ZOOKEEPER_VERSION="${TRIBUTARY_ZOOKEEPER_VERSION:-3.9.3}"
export ZOOKEEPER_PORT=$((2181 + TRIBUTARY_PORT_OFFSET))
export ZOOKEEPER_LIB_DIR="$TRIBUTARY_CACHE_DIR/zookeeper/$TRIBUTARY_ZOOKEEPER_VERSION/lib"
# ZooKeeper paths (chroots) of the stack's two ClickHouse setups, so the default server and the
# cluster never see each other's replicas or DDL queue even when their tables share names.
export ZOOKEEPER_ROOT_SINGLE=/tributary-single
export ZOOKEEPER_ROOT_CLUSTER=/tributary-cluster

fetch_zookeeper() { fetch_once "zookeeper-$TRIBUTARY_ZOOKEEPER_VERSION" "$ZOOKEEPER_LIB_DIR" fetch_zookeeper_locked; }

# The POM marks metrics-core and snappy-java as provided, yet the server needs both: without
# metrics-core it exits with NoClassDefFoundError, without snappy-java it stays up but never serves;
# the command-line client (ZooKeeperMain, for zookeeper_create_roots) needs commons-cli.
fetch_zookeeper_locked() {
  local work="$TRIBUTARY_CACHE_DIR/zookeeper/$TRIBUTARY_ZOOKEEPER_VERSION"
  mkdir -p "$work"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tributary-stack</groupId><artifactId>zookeeper-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.zookeeper</groupId><artifactId>zookeeper</artifactId><version>${TRIBUTARY_ZOOKEEPER_VERSION}</version></dependency>
    <dependency><groupId>io.dropwizard.metrics</groupId><artifactId>metrics-core</artifactId><version>4.1.12.1</version></dependency>
    <dependency><groupId>org.xerial.snappy</groupId><artifactId>snappy-java</artifactId><version>1.1.10.5</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.30</version></dependency>
    <dependency><groupId>commons-cli</groupId><artifactId>commons-cli</artifactId><version>1.5.0</version></dependency>
  </dependencies>
</project>
EOF
  log "downloading ZooKeeper $TRIBUTARY_ZOOKEEPER_VERSION jars from Maven Central"
  rm -rf "$work/lib.tmp"
  local attempt
  for attempt in 1 2; do
    if (cd "$work" && mvn_q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib.tmp); then
      break
    fi
    ((attempt == 2)) && die "could not download ZooKeeper $TRIBUTARY_ZOOKEEPER_VERSION (see the mvn output above)"
    log "retrying the ZooKeeper download"
  done
  rm -rf "$ZOOKEEPER_LIB_DIR" && mv "$work/lib.tmp" "$ZOOKEEPER_LIB_DIR" && touch "$ZOOKEEPER_LIB_DIR/.complete"
  [[ -f "$ZOOKEEPER_LIB_DIR/zookeeper-$TRIBUTARY_ZOOKEEPER_VERSION.jar" ]] ||
    die "ZooKeeper download has no zookeeper-$TRIBUTARY_ZOOKEEPER_VERSION.jar"
}

write_zookeeper_config() {
  local d="$TRIBUTARY_STACK_DIR/zookeeper"
  mkdir -p "$d/data"
  # The admin server would take port 8080; srvr is the health check (ruok answers imok even when
  # the server is not serving).
  cat >"$d/zoo.cfg" <<EOF
# Written by scripts/stack/up.sh; edits are overwritten.
tickTime=1000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$ZOOKEEPER_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,mntr
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
}

zookeeper_command() {
  local d="$TRIBUTARY_STACK_DIR/zookeeper"
  echo java -Xms32m -Xmx256m -XX:+UseSerialGC -Djava.awt.headless=true "-Dtributary.stack=$TRIBUTARY_STACK_DIR" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -Dzookeeper.jmx.log4j.disable=true \
    -cp "'$ZOOKEEPER_LIB_DIR/*'" org.apache.zookeeper.server.ZooKeeperServerMain "$d/zoo.cfg"
}

# Sends a four-letter word and prints the answer.
zookeeper_4lw() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZOOKEEPER_PORT && printf '%s' '$1' >&3 && cat <&3" 2>/dev/null
}

zookeeper_healthy() { zookeeper_4lw srvr | grep -q '^Mode: standalone'; }

zookeeper_version() { zookeeper_4lw srvr | sed -n 's/^Zookeeper version: \([^-,]*\).*/\1/p'; }

# Creates the chroot nodes the ClickHouse configs name (ClickHouse refuses a root that does not exist).
zookeeper_create_roots() {
  local out root
  # Without jline on the classpath the client reads commands from stdin: one JVM for all of them.
  out=$(printf 'create %s\n' "$ZOOKEEPER_ROOT_SINGLE" "$ZOOKEEPER_ROOT_CLUSTER" |
    java -Xmx64m -cp "$ZOOKEEPER_LIB_DIR/*" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$ZOOKEEPER_PORT" 2>&1)
  for root in "$ZOOKEEPER_ROOT_SINGLE" "$ZOOKEEPER_ROOT_CLUSTER"; do
    [[ "$out" == *"Created $root"* || "$out" == *"Node already exists: $root"* ]] ||
      die "could not create the ZooKeeper node $root: $out"
  done
}
