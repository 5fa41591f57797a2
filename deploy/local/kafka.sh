#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) for tests, from Maven Central jars (no Docker).
#
#   deploy/local/kafka.sh fetch    download jars into deploy/kafka/lib (only if empty/missing)
#   deploy/local/kafka.sh start    start a fresh broker on 127.0.0.1:$SSJ_KAFKA_PORT
#   deploy/local/kafka.sh stop     stop the broker, only if this script started it
#   deploy/local/kafka.sh restart  stop our broker and start it again on the same data
#   deploy/local/kafka.sh status   exit 0 if the port is open
#
# Environment:
#   SSJ_KAFKA_PORT  broker port (default 9092); the controller uses port + 1
#   SSJ_RUN_DIR     run directory root (default <repo>/var); state lives in $SSJ_RUN_DIR/kafka
#   JAVA            java binary (default: java on PATH)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_DIR="$REPO_DIR/deploy/kafka"
LIB_DIR="$KAFKA_DIR/lib"
PORT="${SSJ_KAFKA_PORT:-9092}"
CONTROLLER_PORT=$((PORT + 1))
RUN_DIR="${SSJ_RUN_DIR:-$REPO_DIR/var}/kafka"
PID_FILE="$RUN_DIR/kafka.pid"
JAVA="${JAVA:-java}"
START_TIMEOUT=120
STOP_TIMEOUT=30

log() { echo "kafka: $*"; }
die() { echo "kafka: $*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Pid from our pid file if that process is still a running Kafka broker.
our_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
    echo "$pid"
}

# True while pid $1 exists and is not a zombie (a zombie is gone for our purposes).
alive() {
    local state
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [[ -n "$state" && "$state" != Z ]]
}

lib_ready() { compgen -G "$LIB_DIR/kafka_2.13-*.jar" >/dev/null; }

cmd_fetch() {
    if lib_ready; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (needed to fetch the Kafka jars)"
    log "fetching jars from Maven Central into $LIB_DIR"
    # Download into a temporary dir so an interrupted fetch never leaves a half-filled lib/.
    # outputDirectory must be absolute: a relative one resolves against the pom's directory.
    # mvn output is kept out of the way (it emits stray ANSI codes even with -B -q) and shown on failure.
    local tmp="$LIB_DIR.tmp.$$" mvn_log
    mvn_log="$(mktemp)"
    rm -rf "$tmp"
    if ! mvn -B -q -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
        cat "$mvn_log" >&2
        rm -rf "$tmp" "$mvn_log"
        die "mvn fetch failed"
    fi
    rm -f "$mvn_log"
    rm -rf "$LIB_DIR"
    mv "$tmp" "$LIB_DIR"
}

cmd_start() {
    local t0
    t0="$(now)"
    if port_open "$PORT"; then
        echo "kafka already running on 127.0.0.1:$PORT (not touching it)"
        exit 0
    fi
    # A broker of ours that never opened its port (e.g. a previous start was interrupted).
    local old
    if old="$(our_pid)"; then
        log "stopping our half-started broker (pid $old)"
        cmd_stop
    fi
    if port_open "$CONTROLLER_PORT"; then
        die "controller port 127.0.0.1:$CONTROLLER_PORT is in use by another process"
    fi

    cmd_fetch

    if [[ "${KEEP_DATA:-0}" == 1 && -f "$RUN_DIR/data/meta.properties" ]]; then
        start_broker "$t0"
        return
    fi
    # Fresh state on every start.
    rm -rf "$RUN_DIR"
    mkdir -p "$RUN_DIR/data"
    sed -e "s|@KAFKA_PORT@|$PORT|g" \
        -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@LOG_DIRS@|$RUN_DIR/data|g" \
        "$KAFKA_DIR/server.properties.in" >"$RUN_DIR/server.properties"

    local log4j=(-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$RUN_DIR")
    local cluster_id
    cluster_id="$("$JAVA" -Xmx256m "${log4j[@]}" -cp "$LIB_DIR/*" kafka.tools.StorageTool random-uuid)"
    "$JAVA" -Xmx256m "${log4j[@]}" -cp "$LIB_DIR/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$RUN_DIR/server.properties" --ignore-formatted \
        >"$RUN_DIR/format.out" 2>&1 || { cat "$RUN_DIR/format.out" >&2; die "storage format failed"; }
    start_broker "$t0"
}

start_broker() {
    local t0="$1"
    local log4j=(-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$RUN_DIR")
    nohup "$JAVA" -Xms512m -Xmx512m -XX:+UseG1GC "${log4j[@]}" \
        -cp "$LIB_DIR/*" kafka.Kafka "$RUN_DIR/server.properties" \
        >"$RUN_DIR/kafka.out" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$PORT"; do
        if ! alive "$pid"; then
            log "broker exited during startup; log tail:" >&2
            tail -n 40 "$RUN_DIR/server.log" "$RUN_DIR/kafka.out" >&2 2>/dev/null || true
            rm -f "$PID_FILE"
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "not listening on 127.0.0.1:$PORT after ${START_TIMEOUT}s; log tail:" >&2
            tail -n 40 "$RUN_DIR/server.log" "$RUN_DIR/kafka.out" >&2 2>/dev/null || true
            cmd_stop
            exit 1
        fi
        sleep 0.2
    done
    echo "kafka started in $(elapsed_since "$t0")s (pid $pid, 127.0.0.1:$PORT, dir $RUN_DIR)"
}

cmd_stop() {
    if [[ ! -f "$PID_FILE" ]]; then
        log "no pid file ($PID_FILE); not stopping anything we did not start"
        return 0
    fi
    local pid
    if ! pid="$(our_pid)"; then
        log "stale pid file, broker not running"
        rm -f "$PID_FILE"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "pid $pid still running after ${STOP_TIMEOUT}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    # Reap/wait until the process is really gone (SIGKILL is not instantaneous).
    while alive "$pid"; do sleep 0.1; done
    rm -f "$PID_FILE"
    log "stopped (pid $pid)"
}

# Stop our broker and start it again on the same data: an outage, not a reset (make chaos).
cmd_restart() {
    cmd_stop
    KEEP_DATA=1 cmd_start
}

cmd_status() {
    if port_open "$PORT"; then
        local pid
        if pid="$(our_pid)"; then
            log "running on 127.0.0.1:$PORT (pid $pid, started by this script)"
        else
            log "running on 127.0.0.1:$PORT (not started by this script)"
        fi
        return 0
    fi
    log "not listening on 127.0.0.1:$PORT"
    return 1
}

case "${1:-}" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status) cmd_status ;;
    *) echo "usage: $0 {fetch|start|stop|restart|status}" >&2; exit 2 ;;
esac
