//! The server's CPU time and memory, from `/proc/<pid>`, and the whole
//! machine's busy time, from `/proc/stat`.

/// Clock ticks per second for `/proc/<pid>/stat` times.
#[allow(unsafe_code)]
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the running system.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// User plus system CPU time of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&text).map(|t| t as f64 / ticks_per_second())
}

/// utime + stime (fields 14 and 15) from a `stat` line; the command name
/// in parentheses may hold spaces, so count from its closing parenthesis.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")" come field 3 (state) onward: utime is field 14, index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time the whole machine spent busy (every core: user, system, and
/// interrupt work, which on loopback carries the receivers' TCP work), in
/// seconds. The load generator's own share is in it: on one box, a
/// fan-out's cost is the server's writes plus the clients' reads.
pub fn machine_busy_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_busy_ticks(&text).map(|t| t as f64 / ticks_per_second())
}

/// Busy ticks from the `cpu` line of `/proc/stat`: everything but idle
/// and iowait (guest time is already counted in user).
pub fn parse_busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal ...
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    (ticks.len() >= 4).then_some(busy)
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_rss_kib(&text)
}

/// `VmRSS:` from a `status` file.
pub fn parse_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_and_status() {
        let stat = "1234 (chat server) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 4 0 100 1000 200";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
        let status = "Name:\tx\nVmPeak:\t  100 kB\nVmRSS:\t   4321 kB\nThreads: 3\n";
        assert_eq!(parse_rss_kib(status), Some(4321));
        assert_eq!(parse_rss_kib("Name: x\n"), None);
    }

    #[test]
    fn counts_busy_ticks_without_idle_and_iowait() {
        let stat = "cpu  100 5 50 9000 40 1 30 2 0 0\ncpu0 50 2 25 4500 20 1 15 1 0 0\n";
        assert_eq!(parse_busy_ticks(stat), Some(100 + 5 + 50 + 1 + 30 + 2));
        assert_eq!(parse_busy_ticks("intr 1 2 3\n"), None);
        assert!(machine_busy_seconds().is_some_and(|s| s > 0.0));
    }

    #[test]
    fn reads_our_own_process() {
        let me = std::process::id();
        assert!(rss_kib(me).unwrap() > 0);
        assert!(cpu_seconds(me).is_some());
    }
}
