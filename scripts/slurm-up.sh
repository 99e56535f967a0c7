#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the --executor slurm end-to-end tests (CI and
# development). Needs root and Debian's `slurm-wlm` + `munge` packages. Idempotent: does nothing
# when the node is already up. `--down` stops the daemons it started.
#
# Started directly (no systemd): munged as the munge user, then slurmctld, then slurmd.
# Facts this relies on (measured, see the README's "Running on a cluster"):
#  - controller and node are named `localhost` (NodeAddr 127.0.0.1) so the hostname need not resolve;
#  - slurm.conf must be 0644 (slurmctld forks before it fails on an unreadable file, exit code 0);
#  - DefMemPerCPU is set, otherwise a job without --mem takes the whole node;
#  - sinfo/squeue block ~10 s against a dead controller, so every wait is bounded by time;
#  - PID 1 here may not reap zombies, so liveness is read from /proc/PID/status, not kill -0.
set -uo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

log() { echo "slurm-up: $*" >&2; }

alive() { # pid file -> 0 when the process runs and is not a zombie
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

stop() { # pid file, name: SIGTERM, then SIGKILL after 5 s (slurmd ignores TERM while it retries registration)
  local pid i
  pid=$(cat "$1" 2>/dev/null) || return 0
  alive "$1" || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do alive "$1" || break; sleep 0.1; done
  alive "$1" && { log "$2 ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.3; }
  rm -f "$1"
}

if [ "${1:-}" = "--down" ]; then
  stop "$SLURMD_PID" slurmd
  stop "$CTLD_PID" slurmctld
  stop "$MUNGE_PID" munged
  log "stopped"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then log "must run as root"; exit 1; fi
for bin in munged slurmctld slurmd scontrol sinfo; do
  command -v "$bin" >/dev/null || { log "$bin not found (apt-get install slurm-wlm munge)"; exit 1; }
done

node_idle() {
  local s
  s=$(timeout 5 sinfo -h -N -n localhost -o '%T' 2>/dev/null) || return 1
  case "$s" in idle*|mixed*|allocated*) return 0 ;; *) return 1 ;; esac
}

if alive "$CTLD_PID" && alive "$SLURMD_PID" && node_idle; then
  log "already up"
  exit 0
fi

# --- configuration: one node with this machine's cores and memory ---------------------------
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
mkdir -p "$CONF_DIR" "$LOG_DIR" "$STATE_DIR" "$SPOOL_DIR" /run/munge /var/lib/munge /var/log/munge /etc/munge
chown slurm:slurm "$LOG_DIR" "$STATE_DIR"
cat > "$CONF" <<EOF
# written by glmflow scripts/slurm-up.sh: a one-node test cluster
ClusterName=glmflow-ci
SlurmctldHost=localhost
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((MEM_MB / CPUS))
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
MinJobAge=3600
ReturnToService=2
MpiDefault=none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
chmod 0644 "$CONF"

# --- munge ----------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge
if ! alive "$MUNGE_PID"; then
  runuser -u munge -- munged --pid-file="$MUNGE_PID" || { log "munged failed to start"; exit 1; }
fi

# --- slurm daemons (restart both so they read the configuration above) -------------------------
stop "$SLURMD_PID" slurmd
stop "$CTLD_PID" slurmctld
slurmctld || { log "slurmctld failed: $(tail -5 $LOG_DIR/slurmctld.log 2>/dev/null)"; exit 1; }
sleep 1
alive "$CTLD_PID" || { log "slurmctld died: $(tail -5 $LOG_DIR/slurmctld.log 2>/dev/null)"; exit 1; }
slurmd -N localhost || { log "slurmd failed: $(tail -5 $LOG_DIR/slurmd.log 2>/dev/null)"; exit 1; }

deadline=$((SECONDS + 40))
until node_idle; do
  if [ $SECONDS -ge $deadline ]; then
    log "node not idle after 40 s: $(timeout 5 sinfo -N 2>&1 | tail -2)"
    log "slurmd.log: $(tail -5 $LOG_DIR/slurmd.log 2>/dev/null)"
    exit 1
  fi
  # a node left DOWN/DRAINED by an earlier run comes back on request
  timeout 5 scontrol update nodename=localhost state=resume >/dev/null 2>&1
  sleep 0.5
done
log "up: 1 node, $CPUS CPUs, $MEM_MB MB ($(timeout 5 scontrol ping 2>&1 | head -1))"
