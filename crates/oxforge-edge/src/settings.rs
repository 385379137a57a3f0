//! A capability's settings section: each setting declared once, with its default, its
//! environment variable and its doc.
//!
//! ```
//! oxforge_edge::settings! {
//!     /// Settings of an example capability.
//!     pub struct ExampleSettings {
//!         /// Largest thing, in bytes.
//!         pub max_thing: usize = 1024, env "OXFORGE_MAX_THING";
//!         /// Read from the file and flags only.
//!         pub quiet: bool = false;
//!     }
//! }
//! use oxforge_edge::settings::Section;
//! assert_eq!(ExampleSettings::default().max_thing, 1024);
//! assert_eq!(ExampleSettings::ENV, &[("OXFORGE_MAX_THING", "max_thing")]);
//! ```
//!
//! The section is flattened into the one configuration, so its keys are top-level keys of
//! `oxforge.toml` (unique across sections: a test of the server checks it), filled in order from
//! defaults, the file, the environment and the flags.

/// What the configuration loader needs of a section.
pub trait Section {
    /// Environment variables read, and the key each one fills.
    const ENV: &'static [(&'static str, &'static str)];
}

/// Declares a settings section: a `struct` with `serde` derives and `#[serde(default)]`, its
/// `Default` from the declared values, and [`Section::ENV`] from the `env "NAME"` clauses. The
/// calling crate depends on `serde`.
#[macro_export]
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                pub $field:ident : $ty:ty = $default:expr $(, env $env:literal)? ;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $crate::settings::Section for $name {
            const ENV: &'static [(&'static str, &'static str)] = &[ $( $( ($env, stringify!($field)), )? )* ];
        }
    };
}
