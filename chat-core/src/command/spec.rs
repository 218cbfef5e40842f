//! What the catalogue says of each command: who may use it, what it
//! costs, and its typed forms (name, aliases, arguments, help row).

use super::args::{Args, EncodeError, Line};
use super::Command;

/// Who may use a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Permission {
    /// Anyone logged in (and, where it makes sense, during the login
    /// dialog). A command about a room may check more in its handler (a
    /// member, the room's operator).
    Anyone,
    /// Admins (grant 0): refused with `not-permitted` before its handler
    /// runs.
    Admin,
    /// Before logging in: the login dialog's own commands (`/register`,
    /// `/login`); refused once logged in, and not listed by `/help`.
    LoggedOut,
}

impl Permission {
    /// The word `PROTOCOL.md`'s tables and `/help` use: `all`, `admin`
    /// or `logged out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Anyone => "all",
            Permission::Admin => "admin",
            Permission::LoggedOut => "logged out",
        }
    }
}

/// What a command costs against the per-connection command budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cost {
    /// An ordinary line (`command_cost`).
    Line,
    /// A listing, which makes the server do more (`listing_cost`, as IRC
    /// servers' fake lag).
    Listing,
}

/// A command of the catalogue: one variant of [`Command`].
#[derive(Debug)]
pub struct CommandSpec {
    /// The variant's name (`MessageTo`).
    pub variant: &'static str,
    /// Who may use it.
    pub permission: Permission,
    /// What it costs.
    pub cost: Cost,
    /// How it is typed (`/name args`); none for a command only another
    /// protocol or the codec makes (an IRC guest's login, a dialog's
    /// answer, a room message, which is any line not starting with `/`).
    pub forms: &'static [Form],
}

/// One way to type a command: `/name` (or an alias) and its arguments.
pub struct Form {
    /// The name, without its `/`.
    pub name: &'static str,
    /// Other names for the same form, without their `/`.
    pub aliases: &'static [&'static str],
    /// The arguments, in order.
    pub params: &'static [Param],
    /// What it does, for `/help`.
    pub help: &'static str,
    /// Whether words after the arguments are refused or ignored.
    pub trailing: Trailing,
    /// Reads the arguments (the line after the name) as the command.
    pub(crate) read: for<'a> fn(&mut Args<'a>) -> Option<Command<'a>>,
    /// Writes the command as this form, `Ok(false)` when the command is
    /// not one this form writes (another variant, or a value another form
    /// of the same variant writes).
    pub(crate) write: fn(&Command<'_>, &mut Line) -> Result<bool, EncodeError>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Form {
    /// How it is typed: `/name <required> [optional]`.
    ///
    /// ```
    /// use chat_core::command::catalogue;
    /// let msg = catalogue().iter().flat_map(|c| c.forms).find(|f| f.name == "messageto").unwrap();
    /// assert_eq!(msg.usage(), "/messageto <user> <text>");
    /// ```
    pub fn usage(&self) -> String {
        let mut usage = format!("/{}", self.name);
        for param in self.params {
            usage.push(' ');
            usage.push_str(&param.to_string());
        }
        usage
    }

    /// Its name and aliases, each with its `/`.
    pub fn slash_names(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.name)
            .chain(self.aliases.iter().copied())
            .map(|n| format!("/{n}"))
    }

    /// The form typed with a sample value for each argument
    /// (`/messageto bob hi there`).
    pub fn example(&self) -> String {
        let mut line = format!("/{}", self.name);
        for param in self.params {
            line.push(' ');
            line.push_str(param.sample);
        }
        line
    }

    /// Whether `name` (without `/`, any case) names this form.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// Writes `cmd` as this form: `/name args` and its line ending;
    /// `None` when `cmd` is not one this form writes.
    pub fn write(&self, cmd: &Command<'_>) -> Result<Option<String>, EncodeError> {
        let mut line = Line::start(self.name);
        Ok((self.write)(cmd, &mut line)?.then(|| line.finish()))
    }

    /// Reads the arguments (the line after the name and its spaces) as
    /// the command, `None` when they do not fit this form.
    pub fn read<'a>(&self, args: &'a str) -> Option<Command<'a>> {
        let mut args = Args::new(args);
        let cmd = (self.read)(&mut args)?;
        args.end(self.trailing).then_some(cmd)
    }
}

/// One argument of a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// What it is (`user`, `0|1`, `before <ts>`).
    pub label: &'static str,
    /// Whether it may be left out.
    pub optional: bool,
    /// A value as typed (`bob`, `0`, `before 1700`).
    pub sample: &'static str,
}

impl std::fmt::Display for Param {
    /// `<label>`, or `[label]` when it may be left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.optional {
            write!(f, "[{}]", self.label)
        } else {
            write!(f, "<{}>", self.label)
        }
    }
}

/// What a form does with words after its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trailing {
    /// They are a usage error.
    Refused,
    /// They are ignored (`/quit bye now`).
    Ignored,
}
