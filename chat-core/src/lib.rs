#![forbid(unsafe_code)]
//! chat-core (crate docs are completed with the engine).

mod grant;
mod name;
pub mod password;
mod record;
mod time;

pub use grant::Grant;
pub use name::{NameError, NameKey, UserName, MAX_NAME_LEN};
pub use record::{ChangeError, KickEntry, StoreChange, StoreSnapshot, UserRecord};
pub use time::Millis;
