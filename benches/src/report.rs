//! What a run measured, as a table for people or one JSON object.

use std::fmt::Write;

use crate::proto::Proto;
use crate::stats::Summary;

/// The login storm's figures.
#[derive(Clone, Debug)]
pub struct StormReport {
    /// Extra clients asked for.
    pub clients: usize,
    /// How many got in.
    pub logged_in: usize,
    /// Their login times (µs).
    pub login: Summary,
    /// Chat latency while the storm lasted (µs).
    pub during: Summary,
    /// From the storm's start until its last client was in.
    pub window_s: Option<f64>,
}

/// Everything one run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The protocol spoken.
    pub proto: Proto,
    /// Steady clients.
    pub clients: usize,
    /// Senders among them.
    pub senders: usize,
    /// Messages per second per sender (0: saturation).
    pub rate: f64,
    /// Whether paced senders started at the same instant (bursts).
    pub aligned: bool,
    /// In-flight window per sender.
    pub window: u64,
    /// Payload bytes.
    pub payload: usize,
    /// Seconds measured.
    pub measured_s: f64,
    /// Seconds to connect and log in every client.
    pub connect_all_s: f64,
    /// Login times (µs).
    pub login: Summary,
    /// Messages sent while measuring.
    pub sent: u64,
    /// Room lines received by all clients while measuring.
    pub deliveries: u64,
    /// One-way latency outside any storm (µs).
    pub latency: Summary,
    /// ERR lines (or IRC errors).
    pub errors: u64,
    /// Connections that closed.
    pub closed: u64,
    /// Messages missing from a receiver's sequence.
    pub gaps: u64,
    /// Logins tried again after their connection was lost.
    pub retried: u64,
    /// Server CPU seconds (user + system) while measuring.
    pub server_cpu_s: Option<f64>,
    /// CPU seconds the whole machine was busy while measuring (the
    /// server, this load generator, the kernel's loopback work, anything
    /// else running).
    pub machine_cpu_s: Option<f64>,
    /// CPU seconds this load generator used while measuring.
    pub load_cpu_s: Option<f64>,
    /// Server memory before connecting (KiB).
    pub rss_before_kib: Option<u64>,
    /// Server memory once everyone was in (KiB).
    pub rss_loaded_kib: Option<u64>,
    /// Server memory at the end (KiB).
    pub rss_after_kib: Option<u64>,
    /// The storm, if there was one.
    pub storm: Option<StormReport>,
    /// With --probe: milliseconds from one room message's send until
    /// every client had it.
    pub fanout_all_ms: Option<f64>,
    /// With --probe: when the probe was sent (Unix time, ms).
    pub probe_sent_unix_ms: Option<f64>,
    /// With --probe or --probe-listen: per client that read the probe, the
    /// time from its send (µs); `count` is how many read it.
    pub probe_reach: Option<Summary>,
    /// With --probe or --probe-listen: clients still connected that had
    /// not read the probe when the wait ended.
    pub probe_missing: Option<usize>,
    /// Logged-in connections that closed, by the last line the server sent
    /// them before (or how the connection ended), most frequent first.
    pub close_reasons: Vec<(String, u64)>,
    /// Idle runs: seconds from the last login until no client received
    /// anything for a quarter second (the room's JOIN lines arriving),
    /// before the idle window.
    pub settle_s: Option<f64>,
}

impl Report {
    /// Deliveries per second.
    pub fn deliveries_per_s(&self) -> f64 {
        self.deliveries as f64 / self.measured_s
    }

    /// Messages sent per second.
    pub fn sent_per_s(&self) -> f64 {
        self.sent as f64 / self.measured_s
    }

    /// Server CPU nanoseconds per delivery.
    pub fn cpu_ns_per_delivery(&self) -> Option<f64> {
        let cpu = self.server_cpu_s?;
        (self.deliveries > 0).then(|| cpu * 1e9 / self.deliveries as f64)
    }

    /// Machine CPU milliseconds per message sent: at a fixed rate, what
    /// one message's whole fan-out costs the box (server and clients).
    pub fn machine_cpu_ms_per_message(&self) -> Option<f64> {
        self.ms_per_message(self.machine_cpu_s)
    }

    /// The load generator's CPU milliseconds per message sent: its reads
    /// of one fan-out, done on one thread.
    pub fn load_cpu_ms_per_message(&self) -> Option<f64> {
        self.ms_per_message(self.load_cpu_s)
    }

    fn ms_per_message(&self, cpu_s: Option<f64>) -> Option<f64> {
        let cpu = cpu_s?;
        (self.sent > 0).then(|| cpu * 1e3 / self.sent as f64)
    }

    /// Server memory per connected client (bytes), from before connecting
    /// to once everyone was in.
    pub fn rss_per_client_bytes(&self) -> Option<f64> {
        let (a, b) = (self.rss_before_kib?, self.rss_loaded_kib?);
        Some((b.saturating_sub(a) as f64 * 1024.0) / self.clients as f64)
    }

    /// Server memory per connected client (bytes), from before connecting
    /// to the end of the run: for idle runs, once the server has been
    /// quiet for the run's duration.
    pub fn rss_idle_per_client_bytes(&self) -> Option<f64> {
        let (a, b) = (self.rss_before_kib?, self.rss_after_kib?);
        Some((b.saturating_sub(a) as f64 * 1024.0) / self.clients as f64)
    }

    fn counts(&self) -> &'static str {
        match self.proto {
            Proto::Chat => "room lines received by every client, the sender's echo included",
            Proto::Irc => "channel lines received by every client; IRC does not echo to the sender",
        }
    }

    /// A table for people.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let rate = if self.rate > 0.0 {
            let phase = if self.aligned { ", aligned" } else { "" };
            format!("{} msg/s each{phase}", self.rate)
        } else {
            format!("saturation, window {}", self.window)
        };
        let _ = writeln!(s, "proto            {:?}", self.proto);
        let _ = writeln!(
            s,
            "clients          {} ({} sending, {rate}, {} B payload)",
            self.clients, self.senders, self.payload
        );
        let _ = writeln!(
            s,
            "connect+login    {:.2} s for all; login p50 {} us, p99 {} us",
            self.connect_all_s, self.login.p50, self.login.p99
        );
        if let Some(secs) = self.settle_s {
            let _ = writeln!(
                s,
                "settled          {secs:.2} s after the last login (JOIN lines)"
            );
        }
        if let Some(ms) = self.fanout_all_ms {
            let _ = writeln!(
                s,
                "one message      reached all {} clients in {ms:.1} ms",
                self.clients
            );
        }
        if let Some(r) = self.probe_reach {
            let _ = writeln!(
                s,
                "probe reach us   p50 {}  p99 {}  max {} ({} clients read it, {} did not)",
                r.p50,
                r.p99,
                r.max,
                r.count,
                self.probe_missing.unwrap_or(0)
            );
        }
        let _ = writeln!(s, "measured         {:.1} s", self.measured_s);
        let _ = writeln!(
            s,
            "sent             {} ({:.0}/s)",
            self.sent,
            self.sent_per_s()
        );
        let _ = writeln!(
            s,
            "deliveries       {} ({:.0}/s) [{}]",
            self.deliveries,
            self.deliveries_per_s(),
            self.counts()
        );
        let l = self.latency;
        let _ = writeln!(
            s,
            "latency us       p50 {}  p99 {}  p99.9 {}  max {}",
            l.p50, l.p99, l.p999, l.max
        );
        let _ = writeln!(
            s,
            "errors           {} ERR, {} closed, {} missing, {} logins retried",
            self.errors, self.closed, self.gaps, self.retried
        );
        for (reason, n) in &self.close_reasons {
            let _ = writeln!(s, "closed after in  {n}: {reason}");
        }
        if let Some(cpu) = self.server_cpu_s {
            let per = self
                .cpu_ns_per_delivery()
                .map_or("-".into(), |n| format!("{n:.0} ns"));
            let _ = writeln!(s, "server cpu       {cpu:.2} s ({per} per delivery)");
        }
        for (label, cpu_s) in [
            ("machine cpu     ", self.machine_cpu_s),
            ("chat-load cpu   ", self.load_cpu_s),
        ] {
            if let Some(cpu) = cpu_s {
                let per = self
                    .ms_per_message(cpu_s)
                    .map_or("-".into(), |n| format!("{n:.2} ms"));
                let _ = writeln!(s, "{label} {cpu:.2} s ({per} per message sent)");
            }
        }
        if let (Some(a), Some(b), Some(c)) =
            (self.rss_before_kib, self.rss_loaded_kib, self.rss_after_kib)
        {
            let per = self.rss_per_client_bytes().unwrap_or(0.0);
            let _ = writeln!(s, "server rss       {a} KiB before, {b} KiB loaded, {c} KiB at end ({:.0} B per client)", per);
        }
        if let Some(st) = &self.storm {
            let _ = writeln!(
                s,
                "storm            {} of {} logged in; login p50 {} us p99 {} us max {} us",
                st.logged_in, st.clients, st.login.p50, st.login.p99, st.login.max
            );
            let _ = writeln!(
                s,
                "storm latency us p50 {}  p99 {}  p99.9 {}  max {} (over {} deliveries, {:.2} s)",
                st.during.p50,
                st.during.p99,
                st.during.p999,
                st.during.max,
                st.during.count,
                st.window_s.unwrap_or(0.0)
            );
        }
        s
    }

    /// One JSON object (flat, numbers in µs, s, bytes).
    pub fn json(&self) -> String {
        let mut f: Vec<(String, String)> = Vec::new();
        let mut num = |k: &str, v: String| f.push((k.to_owned(), v));
        num(
            "proto",
            format!(
                "\"{}\"",
                if self.proto == Proto::Chat {
                    "chat"
                } else {
                    "irc"
                }
            ),
        );
        num("clients", self.clients.to_string());
        num("senders", self.senders.to_string());
        num("rate", self.rate.to_string());
        num("aligned", self.aligned.to_string());
        num("window", self.window.to_string());
        num("payload", self.payload.to_string());
        num("measured_s", format!("{:.3}", self.measured_s));
        num("connect_all_s", format!("{:.3}", self.connect_all_s));
        num("login_p50_us", self.login.p50.to_string());
        num("login_p99_us", self.login.p99.to_string());
        num("sent", self.sent.to_string());
        num("sent_per_s", format!("{:.1}", self.sent_per_s()));
        num("deliveries", self.deliveries.to_string());
        num(
            "deliveries_per_s",
            format!("{:.1}", self.deliveries_per_s()),
        );
        num("p50_us", self.latency.p50.to_string());
        num("p99_us", self.latency.p99.to_string());
        num("p999_us", self.latency.p999.to_string());
        num("max_us", self.latency.max.to_string());
        num("errors", self.errors.to_string());
        num("closed", self.closed.to_string());
        num("gaps", self.gaps.to_string());
        num("retried", self.retried.to_string());
        let opt = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v:.3}"));
        num("server_cpu_s", opt(self.server_cpu_s));
        num("cpu_ns_per_delivery", opt(self.cpu_ns_per_delivery()));
        num("machine_cpu_s", opt(self.machine_cpu_s));
        num(
            "machine_cpu_ms_per_message",
            opt(self.machine_cpu_ms_per_message()),
        );
        num("load_cpu_s", opt(self.load_cpu_s));
        num(
            "load_cpu_ms_per_message",
            opt(self.load_cpu_ms_per_message()),
        );
        num("rss_before_kib", opt(self.rss_before_kib.map(|v| v as f64)));
        num("rss_loaded_kib", opt(self.rss_loaded_kib.map(|v| v as f64)));
        num("rss_after_kib", opt(self.rss_after_kib.map(|v| v as f64)));
        num("rss_per_client_bytes", opt(self.rss_per_client_bytes()));
        num(
            "rss_idle_per_client_bytes",
            opt(self.rss_idle_per_client_bytes()),
        );
        num("fanout_all_ms", opt(self.fanout_all_ms));
        num("probe_sent_unix_ms", opt(self.probe_sent_unix_ms));
        if let Some(r) = self.probe_reach {
            num("probe_reached", r.count.to_string());
            num("probe_reach_p50_us", r.p50.to_string());
            num("probe_reach_p99_us", r.p99.to_string());
            num("probe_reach_max_us", r.max.to_string());
        }
        if let Some(n) = self.probe_missing {
            num("probe_missing", n.to_string());
        }
        let reasons: Vec<String> = self
            .close_reasons
            .iter()
            .map(|(reason, n)| format!("{}: {n}", json_string(reason)))
            .collect();
        num("close_reasons", format!("{{{}}}", reasons.join(", ")));
        num("settle_s", opt(self.settle_s));
        if let Some(st) = &self.storm {
            num("storm_clients", st.clients.to_string());
            num("storm_logged_in", st.logged_in.to_string());
            num("storm_login_p50_us", st.login.p50.to_string());
            num("storm_login_p99_us", st.login.p99.to_string());
            num("storm_p50_us", st.during.p50.to_string());
            num("storm_p99_us", st.during.p99.to_string());
            num("storm_p999_us", st.during.p999.to_string());
            num("storm_window_s", opt(st.window_s));
        }
        let body: Vec<String> = f.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", body.join(", "))
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            proto: Proto::Chat,
            clients: 100,
            senders: 10,
            rate: 0.0,
            aligned: false,
            window: 8,
            payload: 64,
            measured_s: 2.0,
            connect_all_s: 0.5,
            login: Summary::default(),
            sent: 1000,
            deliveries: 100_000,
            latency: Summary {
                count: 100_000,
                p50: 100,
                p99: 900,
                p999: 1500,
                max: 3000,
            },
            errors: 0,
            closed: 0,
            gaps: 0,
            retried: 0,
            server_cpu_s: Some(1.0),
            machine_cpu_s: Some(3.0),
            load_cpu_s: Some(0.5),
            rss_before_kib: Some(1000),
            rss_loaded_kib: Some(1100),
            rss_after_kib: Some(1100),
            storm: None,
            fanout_all_ms: None,
            probe_sent_unix_ms: None,
            probe_reach: None,
            probe_missing: None,
            close_reasons: Vec::new(),
            settle_s: None,
        }
    }

    #[test]
    fn rates_and_per_delivery_figures() {
        let r = report();
        assert_eq!(r.deliveries_per_s(), 50_000.0);
        assert_eq!(r.sent_per_s(), 500.0);
        assert_eq!(r.cpu_ns_per_delivery(), Some(10_000.0));
        assert_eq!(r.machine_cpu_ms_per_message(), Some(3.0));
        assert_eq!(r.load_cpu_ms_per_message(), Some(0.5));
        assert_eq!(r.rss_per_client_bytes(), Some(1024.0));
    }

    #[test]
    fn json_is_one_object_with_the_figures() {
        let j = report().json();
        assert!(j.starts_with('{') && j.ends_with('}'));
        assert!(j.contains("\"deliveries_per_s\": 50000.0"));
        assert!(j.contains("\"p99_us\": 900"));
        assert!(!j.contains("storm"));
        assert!(report().table().contains("p50 100  p99 900"));
        assert!(j.contains("\"close_reasons\": {}"));
        assert!(!j.contains("probe_reached"));
    }

    #[test]
    fn probe_reach_and_close_reasons_in_json() {
        let mut r = report();
        r.probe_reach = Some(Summary {
            count: 99,
            p50: 10,
            p99: 20,
            p999: 20,
            max: 30,
        });
        r.probe_missing = Some(1);
        r.close_reasons = vec![("CTL \"x\"".into(), 2), ("eof".into(), 1)];
        let j = r.json();
        assert!(j.contains("\"probe_reached\": 99"), "{j}");
        assert!(j.contains("\"probe_reach_p99_us\": 20"), "{j}");
        assert!(j.contains("\"probe_missing\": 1"), "{j}");
        assert!(
            j.contains(r#""close_reasons": {"CTL \"x\"": 2, "eof": 1}"#),
            "{j}"
        );
        assert!(r.table().contains("99 clients read it, 1 did not"));
    }
}
