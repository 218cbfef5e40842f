//! The engine configuration of one run, drawn from its seed. Limits are
//! set low on purpose, so that a few simulated users reach every bound:
//! a full server, held lines dropped, queued lines refused, the throttles.

use crate::{Config, Grant, Millis, StoreSnapshot, UserName, UserRecord};

use super::hasher::fake_phc;
use super::rng::Rng;

/// The account every run starts with: an admin, by configuration or by the
/// store.
pub const ROOT: &str = "root";

/// The configuration of a run.
pub fn config(rng: &mut Rng) -> Config {
    let mut c = Config {
        server_name: "sim".into(),
        // Half the runs have root as a configured admin; the others only
        // as an admin in the store, so the last-admin rule is reachable.
        admins: if rng.chance(500) {
            vec![ROOT.into()]
        } else {
            Vec::new()
        },
        ..Config::default()
    };
    let l = &mut c.limits;
    l.max_line_bytes = rng.range(64, 300) as usize;
    l.max_held_lines = rng.range(0, 8) as usize;
    l.max_connections = rng.range(3, 16) as usize;
    l.max_connections_per_address = rng.range(1, 8) as usize;
    l.exempt_loopback = rng.chance(500);
    l.max_failed_attempts = rng.range(1, 5) as u32;
    l.account_failures_per_window = rng.range(1, 6) as u32;
    l.address_failures_per_window = rng.range(1, 20) as u32;
    l.throttle_window_ms = rng.range(500, 20_000);
    l.throttle_capacity = rng.range(1, 16) as usize;
    l.login_timeout_ms = rng.range(1_000, 30_000);
    l.idle_timeout_ms = if rng.chance(500) {
        0
    } else {
        rng.range(2_000, 60_000)
    };
    l.max_queued_lines = rng.range(1, 12) as usize;
    l.min_password_bytes = 8;
    l.max_password_bytes = rng.range(16, 64) as usize;
    l.messages_per_second = if rng.chance(300) {
        0
    } else {
        rng.range(1, 50) as u32
    };
    l.message_burst = rng.range(1, 30) as u32;
    l.account_ceiling_per_window = rng.range(1, 30) as u32;
    l.account_max_backoff_ms = rng.range(1_000, 60_000);
    l.registrations_per_address = rng.range(1, 20) as u32;
    l.registrations_per_window = rng.range(1, 40) as u32;
    l.registration_window_ms = rng.range(500, 30_000);
    l.max_password_jobs_per_address = rng.range(1, 6) as usize;
    l.max_password_jobs = rng.range(1, 12) as usize;
    l.max_queued_lines_before_login = rng.range(1, l.max_queued_lines as u64) as usize;
    l.max_held_bytes = rng.range(64, 2_000) as usize;
    l.users_page_rows = rng.range(1, 6) as usize;
    l.kicked_page_rows = rng.range(1, 6) as usize;
    l.command_units_per_second = if rng.chance(300) {
        0
    } else {
        rng.range(2, 40) as u32
    };
    // A burst that lets a user answer the whole dialog at once: a client
    // that pipelines its answers and has one dropped no longer knows which
    // step the server is at, and neither would the simulation. Flooders
    // still reach the budget.
    l.command_burst = rng.range(8, 60) as u32;
    l.listing_cost = rng.range(1, 8) as u32;
    l.max_budget_refusals = rng.range(1, 100) as u32;
    // Rooms and history, small enough that runs reach every bound.
    l.max_rooms = rng.range(0, 5) as usize;
    l.max_rooms_per_user = rng.range(0, 4) as usize;
    l.max_room_members = rng.range(1, 6) as usize;
    l.rooms_page_rows = rng.range(1, 4) as usize;
    l.history_on_join = rng.range(0, 6) as usize;
    l.history_page_lines = rng.range(1, 6) as usize;
    l.history_bytes_per_room = rng.range(0, 400) as usize;
    l.history_bytes_per_pair = rng.range(0, 200) as usize;
    l.max_private_histories = rng.range(0, 5) as usize;
    c.retention.room_lines = rng.range(0, 12) as usize;
    c.retention.private_lines = rng.range(0, 6) as usize;
    c.retention.max_age_ms = rng.range(1_000, 120_000);
    // The engine's hash tables are seeded by the run too, so one seed
    // gives one run.
    c.hash_seed = rng.next_u64();
    c
}

/// The limits added after seeds were found (rooms a user may create and
/// keep, the output window), drawn from a stream of their own (`seed`
/// with a constant mixed in) so that adding them did not move every other
/// draw of a run: a seed found before replays as it did, as far as the
/// new limits leave it alone.
pub fn later_limits(c: &mut Config, seed: u64) {
    let rng = &mut Rng::new(seed ^ 0x726f_6f6d_735f_3230);
    let l = &mut c.limits;
    l.max_rooms_per_creator = rng.range(1, 5) as usize;
    l.room_creations_per_user = rng.range(0, 6) as u32;
    l.room_creations_per_window = rng.range(0, 12) as u32;
    l.room_creation_window_ms = rng.range(500, 60_000);
    // Rooms nobody is in close within a run, or never.
    l.empty_room_ttl_ms = if rng.chance(300) {
        0
    } else {
        rng.range(500, 120_000)
    };
    // Small windows, so long answers come in many parts; sometimes none.
    l.output_window_bytes = if rng.chance(200) {
        0
    } else {
        rng.range(1, 600) as usize
    };
}

/// The store a run starts from: root, an admin.
pub fn initial_store(root_password: &str, phc_salt: u64, real_hash: bool) -> StoreSnapshot {
    let phc = if real_hash {
        let mut salt = [0u8; crate::password::SALT_LEN];
        salt[..8].copy_from_slice(&phc_salt.to_le_bytes());
        crate::password::hash(
            &crate::password::HashParams::cheap(),
            &crate::password::Password::new(root_password),
            &salt,
        )
        .unwrap_or_default()
    } else {
        fake_phc(phc_salt, root_password)
    };
    StoreSnapshot {
        users: vec![UserRecord {
            name: UserName::parse(ROOT).unwrap_or_else(|_| unreachable!("root is a valid name")),
            phc,
            grant: Grant::Admin,
            created: Millis(0),
        }],
        kicked: Vec::new(),
        ..StoreSnapshot::default()
    }
}
