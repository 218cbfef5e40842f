//! The questions of the login dialog and of `/changepassword`: the
//! engine's steps, and the word and prompt each is asked with.

/// A step of the login dialog (the `<step>` of `ASK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AskStep {
    /// Register a new account or log in?
    Account,
    /// The user name, while registering.
    RegisterName,
    /// The password, while registering.
    RegisterPassword,
    /// The password again, while registering.
    RegisterPasswordAgain,
    /// The user name, while logging in.
    LoginName,
    /// The password, while logging in.
    LoginPassword,
    /// Extension: the current password, for `/changepassword` without
    /// arguments (`ASK old-password`).
    OldPassword,
    /// Extension: the new password (`ASK new-password`).
    NewPassword,
    /// Extension: the new password again (`ASK new-password-again`).
    NewPasswordAgain,
}

/// What an `ASK` line asks for: its `<step>` word. The server's
/// [`AskStep`] also says which dialog (register or login) it belongs to;
/// on the wire that shows only in the prompt text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AskField {
    /// `account`: register a new account (`y`) or log in (`n`)?
    Account,
    /// `username`: the user name.
    Username,
    /// `password`: the password.
    Password,
    /// `password-again`: the password once more (registration).
    PasswordAgain,
    /// `old-password`: the current password (`/changepassword` without
    /// arguments).
    OldPassword,
    /// `new-password`: the new password.
    NewPassword,
    /// `new-password-again`: the new password once more.
    NewPasswordAgain,
}

impl AskField {
    /// Whether the answer is a password (a client should not echo it).
    pub fn is_password(self) -> bool {
        matches!(
            self,
            AskField::Password
                | AskField::PasswordAgain
                | AskField::OldPassword
                | AskField::NewPassword
                | AskField::NewPasswordAgain
        )
    }
}

impl AskStep {
    /// What the step asks for, as the `ASK` line's word says it.
    pub fn field(self) -> AskField {
        self.asked().0
    }

    /// The question, for people.
    pub fn prompt(self) -> &'static str {
        self.asked().1
    }

    fn asked(self) -> (AskField, &'static str) {
        match self {
            AskStep::Account => (AskField::Account, "Do you want to create a new user? [y/n]"),
            AskStep::RegisterName => (AskField::Username, "(1/3) Write your user name:"),
            AskStep::RegisterPassword => (AskField::Password, "(2/3) Write your password:"),
            AskStep::RegisterPasswordAgain => {
                (AskField::PasswordAgain, "(3/3) Write your password again:")
            }
            AskStep::LoginName => (AskField::Username, "(1/2) Write your user name:"),
            AskStep::LoginPassword => (AskField::Password, "(2/2) Write your password:"),
            AskStep::OldPassword => (AskField::OldPassword, "(1/3) Write your current password:"),
            AskStep::NewPassword => (AskField::NewPassword, "(2/3) Write your new password:"),
            AskStep::NewPasswordAgain => (
                AskField::NewPasswordAgain,
                "(3/3) Write your new password again:",
            ),
        }
    }
}
