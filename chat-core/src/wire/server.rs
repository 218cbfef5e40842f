//! The server side of chat/1 for one connection: framing, the client
//! lines as commands (answers to the last `ASK` included), and rendering.

use std::borrow::Cow;

use crate::command::Answer;
use crate::error::Refusal;
use crate::framing::{FrameError, Framer};
use crate::reply::{AskField, Done, Reply, Word};
use crate::seam::{Codec, CodecOptions, Protocol, Rendering};
use crate::wire::render::{RENDERING, RENDERING_TAGGED};
use crate::wire::{parse, render, render_tagged};
use crate::Command;

/// What chat/1 keeps for one server connection.
///
/// Besides the partial line, it remembers the `ASK` it rendered last and
/// not yet seen answered: the next line is read as its answer (`y`/`n`, a
/// name, or a password taken verbatim even when it starts with `/`), so
/// the engine only ever sees [`Command::Answer`].
#[derive(Debug)]
pub struct ServerCodec {
    /// Lines from the connection's bytes.
    framer: Framer,
    /// The question the next line answers, if any.
    asked: Option<AskField>,
    /// `asked` before the last parsed line, for [`ServerCodec::unread`].
    before_last: Option<AskField>,
    /// Whether the client turned tags on (`/tags on`).
    tags: bool,
    /// Whether the last line turned tags on or off.
    tags_changed: bool,
    /// What the codec answered by itself (`OK tags ...`).
    local: Vec<u8>,
}

impl ServerCodec {
    /// A connection opened with `options`, before anything was asked.
    pub fn new(options: &CodecOptions) -> ServerCodec {
        ServerCodec {
            framer: Framer::new(options.max_line),
            asked: None,
            before_last: None,
            tags: false,
            tags_changed: false,
            local: Vec::new(),
        }
    }

    /// Reads one line as a command, in the light of the last `ASK`;
    /// `None` for a line the codec answered itself (`/tags`, whose answer
    /// [`take_local`](Codec::take_local) hands out).
    fn read<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        self.before_last = self.asked;
        let Some(step) = self.asked else {
            return self.command(line);
        };
        if is_change_step(step) {
            // `/changepassword` steps take any line as the password.
            self.asked = None;
            return Ok(Some(Command::Answer(Answer::Text(line))));
        }
        if line.starts_with('/') {
            // A password may start with '/': take the line verbatim.
            if is_password_step(step) && matches!(parse(line), Ok(Command::Tags { .. })) {
                self.asked = None;
                return Ok(Some(Command::Answer(Answer::Text(line))));
            }
            return match self.command(line) {
                // These leave the dialog: whatever comes next asks again.
                Ok(Some(
                    cmd @ (Command::Quit { .. } | Command::Register { .. } | Command::Login { .. }),
                )) => {
                    self.asked = None;
                    Ok(Some(cmd))
                }
                _ if is_password_step(step) => {
                    self.asked = None;
                    Ok(Some(Command::Answer(Answer::Text(line))))
                }
                // Other commands leave the question open.
                other => other,
            };
        }
        self.asked = None;
        let answer = match step {
            AskField::Account => match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => Answer::Yes,
                "n" | "no" => Answer::No,
                _ => Answer::Text(line),
            },
            AskField::Username => Answer::Text(line.trim()),
            _ => Answer::Text(line),
        };
        Ok(Some(Command::Answer(answer)))
    }

    /// A command line: `/tags` is the codec's own, the rest the engine's.
    fn command<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        match parse(line)? {
            Command::Tags { on } => {
                self.tags_changed |= self.tags != on;
                self.tags = on;
                render(&Reply::Ok(Done::Tags(on)), &mut self.local);
                Ok(None)
            }
            cmd => Ok(Some(cmd)),
        }
    }

    /// Whether the client turned tags on.
    pub fn tags(&self) -> bool {
        self.tags
    }
}

impl Codec for ServerCodec {
    fn protocol(&self) -> Protocol {
        Protocol::Chat1
    }

    fn next_line<'b>(&mut self, bytes: &mut &'b [u8]) -> Option<Result<Cow<'b, str>, FrameError>> {
        self.framer.next_line(bytes)
    }

    fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        self.read(line)
    }

    fn take_local(&mut self) -> Option<Vec<u8>> {
        (!self.local.is_empty()).then(|| std::mem::take(&mut self.local))
    }

    /// The engine dropped the line just parsed without reading it (over
    /// the command budget): a question it answered is open again.
    fn unread(&mut self) {
        self.asked = self.before_last;
    }

    /// Appends the lines of `replies`, remembering an `ASK`.
    fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        for reply in replies {
            if let Reply::Ask {
                step: Word::Known(step),
                ..
            } = reply
            {
                self.asked = Some(*step);
            }
            if self.tags {
                render_tagged(reply, out);
            } else {
                render(reply, out);
            }
        }
    }

    fn rendering(&self) -> Rendering {
        if self.tags {
            RENDERING_TAGGED
        } else {
            RENDERING
        }
    }

    /// The rendering, after `/tags` turned tags on or off.
    fn take_rendering_change(&mut self) -> Option<Rendering> {
        std::mem::take(&mut self.tags_changed).then(|| self.rendering())
    }
}

fn is_password_step(step: AskField) -> bool {
    matches!(step, AskField::Password | AskField::PasswordAgain)
}

fn is_change_step(step: AskField) -> bool {
    matches!(
        step,
        AskField::OldPassword | AskField::NewPassword | AskField::NewPasswordAgain
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::AskStep;

    fn asked(step: AskStep) -> ServerCodec {
        let mut codec = ServerCodec::new(&CodecOptions::new(4096, "chat".into()));
        codec.render(&[Reply::ask(step)], &mut Vec::new());
        codec
    }

    #[test]
    fn account_answers_are_typed_once() {
        let mut c = asked(AskStep::Account);
        assert_eq!(
            c.parse(" Yes ").unwrap().unwrap(),
            Command::Answer(Answer::Yes)
        );
        assert_eq!(c.parse("n").unwrap().unwrap(), Command::Say("n"));
        let mut c = asked(AskStep::Account);
        assert_eq!(
            c.parse("maybe").unwrap().unwrap(),
            Command::Answer(Answer::Text("maybe"))
        );
    }

    #[test]
    fn commands_leave_the_question_open_but_passwords_are_verbatim() {
        let mut c = asked(AskStep::Account);
        assert_eq!(
            c.parse("/ping").unwrap().unwrap(),
            Command::Ping { token: None }
        );
        assert_eq!(c.parse("no").unwrap().unwrap(), Command::Answer(Answer::No));
        let mut c = asked(AskStep::LoginPassword);
        assert_eq!(
            c.parse("/help").unwrap().unwrap(),
            Command::Answer(Answer::Text("/help"))
        );
        let mut c = asked(AskStep::LoginPassword);
        assert_eq!(
            c.parse("/quit").unwrap().unwrap(),
            Command::Quit { reason: None }
        );
        assert_eq!(c.parse("/help").unwrap().unwrap(), Command::Help);
        let mut c = asked(AskStep::OldPassword);
        assert_eq!(
            c.parse("/quit").unwrap().unwrap(),
            Command::Answer(Answer::Text("/quit"))
        );
        let mut c = asked(AskStep::LoginName);
        assert_eq!(
            c.parse(" bob ").unwrap().unwrap(),
            Command::Answer(Answer::Text("bob"))
        );
    }

    #[test]
    fn an_unread_answer_is_asked_for_again() {
        let mut c = asked(AskStep::RegisterName);
        assert_eq!(
            c.parse("bob").unwrap().unwrap(),
            Command::Answer(Answer::Text("bob"))
        );
        c.unread();
        assert_eq!(
            c.parse("carol").unwrap().unwrap(),
            Command::Answer(Answer::Text("carol"))
        );
        assert_eq!(c.parse("dave").unwrap().unwrap(), Command::Say("dave"));
    }

    #[test]
    fn tags_are_the_codecs_own_switch() {
        let mut c = ServerCodec::new(&CodecOptions::new(4096, "chat".into()));
        assert_eq!(c.parse("/TAGS on").unwrap(), None);
        assert_eq!(c.take_local().unwrap(), b"OK tags on\n");
        assert!(
            c.tags() && c.take_rendering_change().is_some() && c.take_rendering_change().is_none()
        );
        let line = Reply::Pm {
            id: Some(crate::MsgId(3)),
            at: crate::Millis(1),
            from: "ann",
            who: crate::reply::Identity::default(),
            to: None,
            kind: crate::MessageKind::Said,
            text: "hi",
            tags: crate::ClientTags::NONE,
        };
        let mut out = Vec::new();
        c.render(&[line], &mut out);
        assert_eq!(out, b"@id=3 PM 1 ann hi\n");
        assert_eq!(c.parse("/tags on").unwrap(), None);
        assert!(
            c.take_rendering_change().is_none(),
            "no change: nothing to move"
        );
        assert_eq!(
            c.parse("/tags maybe").unwrap_err().code,
            crate::ErrorCode::BadArgument
        );
        let mut c = asked(AskStep::LoginPassword);
        assert_eq!(
            c.parse("/tags off").unwrap().unwrap(),
            Command::Answer(Answer::Text("/tags off"))
        );
        assert!(c.take_local().is_none());
    }
}
