//! The server side of chat/1 for one connection: framing, the client
//! lines as commands (answers to the last `ASK` included), and rendering.

use crate::command::Answer;
use crate::error::Refusal;
use crate::reply::{AskStep, Reply};
use crate::wire::{parse, render};
use crate::Command;

/// What chat/1 keeps for one server connection.
///
/// Besides the partial line, it remembers the `ASK` it rendered last and
/// not yet seen answered: the next line is read as its answer (`y`/`n`, a
/// name, or a password taken verbatim even when it starts with `/`), so
/// the engine only ever sees [`Command::Answer`].
#[derive(Debug)]
pub struct ServerCodec {
    /// The question the next line answers, if any.
    asked: Option<AskStep>,
    /// `asked` before the last parsed line, for [`ServerCodec::unread`].
    before_last: Option<AskStep>,
}

impl Default for ServerCodec {
    fn default() -> ServerCodec {
        ServerCodec::new()
    }
}

impl ServerCodec {
    /// A connection's dialog state, before anything was asked.
    pub fn new() -> ServerCodec {
        ServerCodec {
            asked: None,
            before_last: None,
        }
    }

    /// Reads one line as a command, in the light of the last `ASK`.
    pub fn parse<'l>(&mut self, line: &'l str) -> Result<Command<'l>, Refusal> {
        self.before_last = self.asked;
        let Some(step) = self.asked else {
            return parse(line);
        };
        if is_change_step(step) {
            // `/changepassword` steps take any line as the password.
            self.asked = None;
            return Ok(Command::Answer(Answer::Text(line)));
        }
        if line.starts_with('/') {
            return match parse(line) {
                // These leave the dialog: whatever comes next asks again.
                Ok(cmd @ (Command::Quit { .. } | Command::Register { .. } | Command::Login { .. })) => {
                    self.asked = None;
                    Ok(cmd)
                }
                // A password may start with '/': take the line verbatim.
                _ if is_password_step(step) => {
                    self.asked = None;
                    Ok(Command::Answer(Answer::Text(line)))
                }
                // Other commands leave the question open.
                other => other,
            };
        }
        self.asked = None;
        let answer = match step {
            AskStep::Account => match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => Answer::Yes,
                "n" | "no" => Answer::No,
                _ => Answer::Text(line),
            },
            AskStep::RegisterName | AskStep::LoginName => Answer::Text(line.trim()),
            _ => Answer::Text(line),
        };
        Ok(Command::Answer(answer))
    }

    /// The engine dropped the line just parsed without reading it (over
    /// the command budget): a question it answered is open again.
    pub fn unread(&mut self) {
        self.asked = self.before_last;
    }

    /// Appends the line(s) of `reply` to `out`, remembering an `ASK`.
    pub fn render(&mut self, reply: &Reply<'_>, out: &mut Vec<u8>) {
        if let Reply::Ask(step) = reply {
            self.asked = Some(*step);
        }
        render(reply, out);
    }
}

fn is_password_step(step: AskStep) -> bool {
    matches!(
        step,
        AskStep::RegisterPassword | AskStep::RegisterPasswordAgain | AskStep::LoginPassword
    )
}

fn is_change_step(step: AskStep) -> bool {
    matches!(
        step,
        AskStep::OldPassword | AskStep::NewPassword | AskStep::NewPasswordAgain
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(step: AskStep) -> ServerCodec {
        let mut codec = ServerCodec::new();
        codec.render(&Reply::Ask(step), &mut Vec::new());
        codec
    }

    #[test]
    fn account_answers_are_typed_once() {
        let mut c = asked(AskStep::Account);
        assert_eq!(c.parse(" Yes ").unwrap(), Command::Answer(Answer::Yes));
        assert_eq!(c.parse("n").unwrap(), Command::Say("n"));
        let mut c = asked(AskStep::Account);
        assert_eq!(
            c.parse("maybe").unwrap(),
            Command::Answer(Answer::Text("maybe"))
        );
    }

    #[test]
    fn commands_leave_the_question_open_but_passwords_are_verbatim() {
        let mut c = asked(AskStep::Account);
        assert_eq!(c.parse("/ping").unwrap(), Command::Ping { token: None });
        assert_eq!(c.parse("no").unwrap(), Command::Answer(Answer::No));
        let mut c = asked(AskStep::LoginPassword);
        assert_eq!(
            c.parse("/help").unwrap(),
            Command::Answer(Answer::Text("/help"))
        );
        let mut c = asked(AskStep::LoginPassword);
        assert_eq!(c.parse("/quit").unwrap(), Command::Quit { reason: None });
        assert_eq!(c.parse("/help").unwrap(), Command::Help);
        let mut c = asked(AskStep::OldPassword);
        assert_eq!(
            c.parse("/quit").unwrap(),
            Command::Answer(Answer::Text("/quit"))
        );
        let mut c = asked(AskStep::LoginName);
        assert_eq!(
            c.parse(" bob ").unwrap(),
            Command::Answer(Answer::Text("bob"))
        );
    }

    #[test]
    fn an_unread_answer_is_asked_for_again() {
        let mut c = asked(AskStep::RegisterName);
        assert_eq!(
            c.parse("bob").unwrap(),
            Command::Answer(Answer::Text("bob"))
        );
        c.unread();
        assert_eq!(
            c.parse("carol").unwrap(),
            Command::Answer(Answer::Text("carol"))
        );
        assert_eq!(c.parse("dave").unwrap(), Command::Say("dave"));
    }
}
