# shellcheck shell=bash
# stop_daemon DAEMON: SIGTERM the master pid of our instance of DAEMON (only
# if our_pid vouches for it) and wait for the master and the children it had
# to exit. Sourced by up.sh (restarts) and down.sh.

# wait_gone SECONDS PID...: true once none of the pids is alive.
wait_gone() {
	local tenths=$(($1 * 10)) pid alive_any
	shift
	while :; do
		alive_any=0
		for pid in "$@"; do running "$pid" && alive_any=1; done
		[ "$alive_any" = 0 ] && return 0
		[ "$tenths" -gt 0 ] || return 1
		tenths=$((tenths - 1))
		sleep 0.1
	done
}

stop_daemon() {
	local daemon=$1 pid kids left k
	if ! pid=$(our_pid "$daemon"); then
		say "$daemon: not running"
		return 0
	fi
	# Remember the children now: once the master is gone they are reparented
	# and can no longer be found by parent pid.
	kids=$(children "$pid" | tr '\n' ' ')
	say "$daemon: stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_gone 10 "$pid"; then
		say "$daemon: pid $pid ignored SIGTERM for 10 s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone 2 "$pid" || { say "$daemon: pid $pid will not exit"; return 1; }
	fi
	# Children normally leave with the master. A Dovecot auth process can
	# linger while a Postfix smtpd still talks to it, so the children
	# recorded above (and only those) get TERM, then KILL.
	# shellcheck disable=SC2086
	wait_gone 3 $kids && return 0
	left=""
	for k in $kids; do running "$k" && left="$left $k"; done
	say "$daemon: children$left still running, sending SIGTERM"
	# shellcheck disable=SC2086
	kill -TERM $left 2>/dev/null || true
	# shellcheck disable=SC2086
	wait_gone 3 $left && return 0
	# shellcheck disable=SC2086
	kill -KILL $left 2>/dev/null || true
	# shellcheck disable=SC2086
	wait_gone 2 $left
}
