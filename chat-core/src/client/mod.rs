//! The client side of protocol v1 as a sans-IO session, for bots and
//! terminal clients: feed it the server's bytes and the user's intent, send
//! the bytes it asks for, read the typed events it emits.
//!
//! It runs the login from a name and password (register or log in, with
//! the one-line `/register`/`/login` forms or by answering the server's
//! `ASK` dialog), keeps the current password in memory (a `/changepassword`
//! updates it once the server confirms), and after `CTL restart` logs in
//! again on the next connection with that password, joins its rooms again
//! and (with message ids) catches up on what was said meanwhile, each line
//! once and in order. It owns no socket,
//! thread or clock: a driver (such as the `chat-client` crate's blocking
//! `Client`) moves the bytes.
//!
//! ```
//! use chat_core::client::{Auth, Credentials, Event, LoginForm, Session};
//! let creds = Credentials::new("alice", "a-long-password");
//! let mut s = Session::new(creds, Auth::Register, LoginForm::OneLine);
//! s.on_connected();
//! assert_eq!(s.poll_transmit().unwrap(), b"/register alice a-long-password\n");
//! s.receive(b"HELLO chat/1 lab\nWELCOME alice 1\n");
//! let mut logged_in = false;
//! while let Some(event) = s.poll_event() {
//!     logged_in |= matches!(event, Event::LoggedIn { .. });
//! }
//! assert!(logged_in && s.is_logged_in());
//! ```

mod catch_up;
mod event;
mod session;

pub use event::{Ended, Event, Received};
pub use session::{Auth, Credentials, LoginForm, Session, DEFAULT_MAX_LINE};
