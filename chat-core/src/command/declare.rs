//! The macro the catalogue is written in: from one declaration per
//! command it makes the [`Command`](super::Command) variant, its
//! [`CommandSpec`](super::CommandSpec) (who, cost, typed forms) and each
//! form's reading and writing from the kinds of its arguments.

/// Declares the command set. Each command is
///
/// ```text
/// /// docs
/// Variant { /// docs
///           field: Type, ... }          // or (Type), or nothing
///     => {
///         who: Anyone | Admin | LoggedOut,
///         cost: Line | Listing,
///         // none, one or more typed forms:
///         chat1: "name" | "alias" [field: Kind("label"), ...]
///             { other_field: value }         // fields a form fixes
///             ignoring_rest                  // words after are ignored
///             => "what it does, for /help",
///     }
/// ```
///
/// A form's arguments are read in order by their [`Kind`](super::Kind)s
/// and written back the same way; every field of the variant is either
/// an argument or fixed by `with`.
macro_rules! commands {
    (
        $(
            $(#[$meta:meta])*
            $variant:ident
            $( { $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)? } )?
            $( ( $(#[$tmeta:meta])* $tty:ty ) )?
            => {
                who: $who:ident,
                cost: $cost:ident,
                $(
                    chat1: $name:literal $( | $alias:literal )*
                        [ $( $arg:ident : $kind:ident ( $label:literal ) ),* ]
                        $( { $( $fixed:ident : $value:expr ),* } )?
                        $( $rest:ident )?
                        => $help:literal,
                )*
            }
        )*
    ) => {
        /// One client line, parsed: what a client asks for, whatever the
        /// protocol. Borrowed from the line it came from.
        ///
        /// Each variant is declared once in the catalogue
        /// ([`catalogue`](crate::command::catalogue)), with who may use it,
        /// its cost and how it is typed; the codecs and the engine see only
        /// this.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Command<'a> {
            $(
                $(#[$meta])*
                $variant $( { $( $(#[$fmeta])* $field : $fty ),* } )? $( ( $(#[$tmeta])* $tty ) )?,
            )*
        }

        #[allow(non_snake_case)]
        struct Specs {
            $( $variant: $crate::command::CommandSpec, )*
        }

        static SPECS: Specs = Specs {
            $(
                $variant: $crate::command::CommandSpec {
                    variant: stringify!($variant),
                    permission: $crate::command::Permission::$who,
                    cost: $crate::command::Cost::$cost,
                    forms: &[
                        $(
                            $crate::command::Form {
                                name: $name,
                                aliases: &[$($alias),*],
                                params: &[$(
                                    $crate::command::Param {
                                        label: $label,
                                        optional: <$crate::command::args::$kind as $crate::command::Kind<'static>>::OPTIONAL,
                                        sample: <$crate::command::args::$kind as $crate::command::Kind<'static>>::SAMPLE,
                                    }
                                ),*],
                                help: $help,
                                trailing: commands!(@trailing $($rest)?),
                                read: {
                                    fn read<'a>(
                                        #[allow(unused_variables)]
                                        args: &mut $crate::command::Args<'a>,
                                    ) -> Option<Command<'a>> {
                                        $(
                                            let $arg = <$crate::command::args::$kind as $crate::command::Kind<'a>>::read(args)?;
                                        )*
                                        Some(Command::$variant {
                                            $( $arg, )*
                                            $( $( $fixed: $value, )* )?
                                        })
                                    }
                                    read
                                },
                                write: {
                                    fn write(
                                        cmd: &Command<'_>,
                                        #[allow(unused_variables)]
                                        line: &mut $crate::command::Line,
                                    ) -> Result<bool, $crate::command::EncodeError> {
                                        #[allow(unused_variables)]
                                        let Command::$variant { $( $arg, )* $( $( $fixed, )* )? .. } = cmd else {
                                            return Ok(false);
                                        };
                                        $( $( if *$fixed != $value { return Ok(false); } )* )?
                                        $(
                                            if !<$crate::command::args::$kind as $crate::command::Kind<'_>>::write($arg, $label, line)? {
                                                return Ok(false);
                                            }
                                        )*
                                        Ok(true)
                                    }
                                    write
                                },
                            },
                        )*
                    ],
                },
            )*
        };

        /// Every command, in the order `/help` lists them.
        static CATALOGUE: &[&$crate::command::CommandSpec] = &[ $( &SPECS.$variant, )* ];

        impl Command<'_> {
            /// The command's declaration: who may use it, its cost, how it
            /// is typed.
            pub fn spec(&self) -> &'static $crate::command::CommandSpec {
                match self {
                    $( Command::$variant { .. } => &SPECS.$variant, )*
                }
            }
        }
    };
    (@trailing) => { $crate::command::Trailing::Refused };
    (@trailing ignoring_rest) => { $crate::command::Trailing::Ignored };
}
