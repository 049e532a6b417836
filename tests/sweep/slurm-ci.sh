#!/usr/bin/env bash
# slurm-ci.sh - throw-away single-node Slurm cluster on loopback, for CI.
#
# Tested on Debian 12 (bookworm), slurm-wlm 22.05.8, munge 0.5.15, no systemd. As root the daemons
# run as root and any user may submit; as an ordinary user (packages already installed) the daemons
# run as that user and only that user's jobs can run.
#
#   ./slurm-ci.sh up          # install if needed, write config, start munged+slurmctld+slurmd, wait for idle
#   export SLURM_CONF=<dir>/slurm.conf        # (./slurm-ci.sh env prints this line)
#   sbatch / srun / squeue / scancel ...      # as usual
#   ./slurm-ci.sh down        # cancel jobs, stop the three daemons by PID; logs stay in <dir>/log
#   ./slurm-ci.sh run ./tests.sh   # up + tests + down (down also on failure), exits with the tests' status;
#                                  # as root it also copes with a hostname that is not 127.0.0.1 (step 2)
#
# Knobs: SLURM_CI_DIR (default $TMPDIR/slurm-ci), SLURM_CI_CTLD_PORT / SLURM_CI_SLURMD_PORT (6817/6818;
# give concurrent clusters distinct ports), SLURM_CI_EXTRA (extra slurm.conf lines).
# Everything lives in SLURM_CI_DIR; nothing is written to /etc, /run or /var except by apt-get.
# Every daemon listens on 127.0.0.1 only (checked by `up`).
set -euo pipefail

D=${SLURM_CI_DIR:-${TMPDIR:-/tmp}/slurm-ci}
CTLD_PORT=${SLURM_CI_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_CI_SLURMD_PORT:-6818}
NODE=localhost          # Slurm node name; slurmd is started with -N so the real hostname does not matter
PART=ci
CONF=$D/slurm.conf

die() { echo "slurm-ci: $*" >&2; exit 1; }
log() { echo "slurm-ci: $*" >&2; }

case "$D" in /|/tmp|/tmp/|"") die "refusing SLURM_CI_DIR='$D'";; esac
# only ever delete a directory that is empty or was made by this script
[ ! -e "$D" ] || [ -e "$D/slurm.conf" ] || [ -z "$(ls -A "$D")" ] || die "$D exists and is not a slurm-ci directory"

wait_gone() {           # pid [tenths of a second]
    local p=$1 n=${2:-100}
    while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    ! kill -0 "$p" 2>/dev/null
}

stop_pidfiles() {       # pidfile... : SIGTERM them all, wait up to 10 s each, then SIGKILL; only PIDs from our files
    local f p pids=()
    for f in "$@"; do
        if [ -s "$f" ]; then
            p=$(cat "$f")
            if kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; pids+=("$p"); fi
        fi
        rm -f "$f"
    done
    for p in "${pids[@]}"; do
        wait_gone "$p" 100 && continue
        log "pid $p ignored SIGTERM, sending SIGKILL"
        kill -KILL "$p" 2>/dev/null || true
        wait_gone "$p" 20 || log "pid $p still alive"
    done
}

check_loopback() {      # every TCP listener on our two ports must be 127.x (IPv4, little-endian hex in /proc)
    local port hex
    for port in "$CTLD_PORT" "$SLURMD_PORT"; do
        hex=$(printf ':%04X' "$port")
        awk -v h="$hex" '$4=="0A" && substr($2,9)==h {found=1; if (substr($2,7,2)!="7F") bad=1}
                         END {exit (found && !bad) ? 0 : 1}' /proc/net/tcp \
            || die "port $port: no listener or one off loopback (see /proc/net/tcp)"
        ! awk -v h="$hex" '$4=="0A" && substr($2,33)==h {f=1} END {exit !f}' /proc/net/tcp6 2>/dev/null \
            || die "port $port: IPv6 listener"
    done
}

resolve_hostname() { getent ahostsv4 "$(hostname)" 2>/dev/null | awk 'NR==1{print $1}' || true; }

up() {
    # As root the daemons run as root and jobs may come from any user. As an ordinary user the
    # daemons run as that user and can only run that user's jobs (tested: works with linuxproc/none).
    local me; me=$(id -un)
    [ -s "$D/slurmctld.pid" ] && kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null && die "already up in $D"

    # 1. packages (no recommends: avoids ~27 extra plugin packages). On a systemd host the postinst
    #    starts munge.service (harmless: we use our own socket); slurmd/slurmctld units need
    #    /etc/slurm/slurm.conf, which we never create, so they stay down.
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
        [ "$(id -u)" = 0 ] || die "Slurm/munge not installed; as root: apt-get install --no-install-recommends slurm-wlm munge"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null; }
    fi

    # 2. CommunicationParameters=NoInAddrAny,NoCtldInAddrAny makes slurmctld, slurmd AND srun bind to
    #    the address that `hostname` resolves to (gethostname + getaddrinfo), not to SlurmctldHost or
    #    NodeAddr. It must be exactly 127.0.0.1: with Debian's "127.0.1.1 <host>" line batch jobs work
    #    but srun hangs (slurmstepd calls srun back at the connection's source address, 127.0.0.1,
    #    while srun listens on 127.0.1.1). Otherwise use `run`, which sets hostname=localhost in a
    #    private UTS namespace.
    local addr
    addr=$(resolve_hostname)
    [ "$addr" = 127.0.0.1 ] || die "hostname '$(hostname)' resolves to '${addr:-nothing}', not 127.0.0.1; use '$0 run <cmd>' (private UTS namespace with hostname=localhost)"

    # 3. fresh scratch layout
    rm -rf "$D"
    mkdir -p "$D"/state "$D"/spool "$D"/log "$D"/munge-key "$D"/munge-run
    chmod 755 "$D" "$D/munge-run"    # munged: socket dir must be a+x ("execute permissions for all required")
    chmod 700 "$D/munge-key"         # munged: key must be owned by its uid and not readable by others

    # 4. munge with a private key and socket (does not touch a system munged, if one runs)
    dd if=/dev/urandom of="$D/munge-key/munge.key" bs=1024 count=1 status=none
    chmod 400 "$D/munge-key/munge.key"
    munged --socket="$D/munge-run/munge.sock" --key-file="$D/munge-key/munge.key" \
           --pid-file="$D/munge-run/munged.pid" --seed-file="$D/munge-key/munged.seed" \
           --log-file="$D/log/munged.log"
    munge -S "$D/munge-run/munge.sock" -n | unmunge -S "$D/munge-run/munge.sock" >/dev/null \
        || die "munge self-test failed, see $D/log/munged.log"

    # 5. slurm.conf. Node hardware is taken from `slurmd -C` so RealMemory/CPUs never exceed what
    #    slurmd detects (otherwise the node registers as INVAL/DRAIN "Low RealMemory").
    local hw
    hw=$(slurmd -C | awk 'NR==1{ $1=""; sub(/^ /,""); print }')
    cat > "$CONF" <<EOF
ClusterName=ci
SlurmctldHost=localhost($addr)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmUser=$me
SlurmdUser=$me
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge-run/munge.sock
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
MinJobAge=300
NodeName=$NODE NodeAddr=$addr $hw State=UNKNOWN
PartitionName=$PART Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    # optional extra lines, e.g. SLURM_CI_EXTRA='MaxArraySize=2001' (a repeated key: the last one wins)
    [ -z "${SLURM_CI_EXTRA:-}" ] || printf '%s\n' "$SLURM_CI_EXTRA" >> "$CONF"

    # 6. start (both daemonize and write their PID files; SLURM_CONF selects our config)
    export SLURM_CONF=$CONF
    slurmctld
    slurmd -N "$NODE"

    # 7. wait until the node is idle
    local i state=""
    for i in $(seq 300); do
        state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.1
    done
    [ "$state" = idle ] || { tail -n 20 "$D/log/slurmctld.log" "$D/log/slurmd.log" >&2; die "node state '$state' after 30 s"; }

    # 8. loopback check (no dependency on ss/iproute2)
    check_loopback
    log "up: $D (SLURM_CONF=$CONF), node $NODE idle, listening on $addr:$CTLD_PORT/$SLURMD_PORT"
}

down() {
    export SLURM_CONF=$CONF
    if [ -s "$D/slurmctld.pid" ] && kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null; then
        # cancel leftovers first, so no slurmstepd outlives slurmd (KillWait=5 bounds this)
        scancel --partition="$PART" 2>/dev/null || true
        local i
        for i in $(seq 150); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    stop_pidfiles "$D/slurmd.pid" "$D/slurmctld.pid"     # together: ~2 s instead of ~3.5 s
    stop_pidfiles "$D/munge-run/munged.pid"               # last: the daemons authenticate until they exit
    log "down: daemons stopped; logs kept in $D/log (rm -rf $D to purge)"
}

run() {                 # run <cmd...>: up, run cmd with SLURM_CONF set, down (always), exit with cmd's status
    if [ "$(resolve_hostname)" != 127.0.0.1 ] && [ -z "${SLURM_CI_IN_UTS_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || die "hostname does not resolve to 127.0.0.1 and only root can unshare the UTS namespace"
        # private UTS namespace: only processes started inside see hostname=localhost
        exec env SLURM_CI_IN_UTS_NS=1 unshare --uts --fork -- bash "$(readlink -f "$0")" run "$@"
    fi
    [ -z "${SLURM_CI_IN_UTS_NS:-}" ] || hostname localhost
    trap down EXIT
    up
    export SLURM_CONF=$CONF
    "$@"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    run) shift; [ $# -gt 0 ] || die "usage: $0 run <command...>"; run "$@" ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 up|down|run <cmd...>|env" >&2; exit 2 ;;
esac
