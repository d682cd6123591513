//! What the sections of `nhsmail-lint.yaml` share: a value with the bytes it was
//! written in (or, for a default, the bytes that imply it), the one duration parser,
//! where a secret comes from, and the ways an account authenticates.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::util::units;
use crate::util::yaml::YamlSource;

/// A configured value and the bytes of the config file it was written in. A default
/// that was not written points at the line that implies it.
#[derive(Debug, Clone)]
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

/// Where a password or OAuth token comes from: never the config file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Secret {
    Env(String),
    File(PathBuf),
    Command(String),
}

impl Secret {
    /// The key it was given by.
    pub(crate) fn key(&self) -> &'static str {
        match self {
            Secret::Env(_) => "password_env",
            Secret::File(_) => "password_file",
            Secret::Command(_) => "token_command",
        }
    }
}

/// How the account authenticates: `plain`, `login` (Basic authentication) or `xoauth2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Auth {
    Plain,
    Login,
    Xoauth2,
}

impl Auth {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Auth::Plain => "plain",
            Auth::Login => "login",
            Auth::Xoauth2 => "xoauth2",
        }
    }
}

/// The one place a block's secret comes from: `password_env`, `password_file` or
/// `token_command` (at most one of them).
pub(crate) fn secret_source(
    source: &YamlSource,
    env: &Option<Spanned<String>>,
    file: &Option<Spanned<String>>,
    command: &Option<Spanned<String>>,
) -> Result<Option<Setting<Secret>>, Report> {
    let given: Vec<&Spanned<String>> = [env, file, command].into_iter().flatten().collect();
    if let [_, second, ..] = given.as_slice() {
        return Err(source.error_at(*second, "give one of password_env, password_file and token_command"));
    }
    Ok(given.first().map(|s| {
        let value = s.value.trim().to_owned();
        let value = if env.is_some() {
            Secret::Env(value)
        } else if file.is_some() {
            Secret::File(source.resolve(&value))
        } else {
            Secret::Command(value)
        };
        Setting { value, span: source.range(&s.referenced).unwrap_or(0..0) }
    }))
}

/// XOAUTH2 takes a token from `token_command`; the other methods a password. `sources`
/// are `password_env`, `password_file` and `token_command`, in that order.
pub(crate) fn auth_matches_secret(
    source: &YamlSource,
    auth: Auth,
    sources: [&Option<Spanned<String>>; 3],
) -> Result<(), Report> {
    let [env, file, command] = sources;
    match (auth, env.as_ref().or(file.as_ref()), command) {
        (Auth::Xoauth2, Some(password), _) => {
            Err(source.error_at(password, "xoauth2 takes its token from token_command, not a password"))
        }
        (Auth::Plain | Auth::Login, _, Some(command)) => {
            Err(source.error_at(command, "token_command goes with `auth: xoauth2`"))
        }
        _ => Ok(()),
    }
}

/// The least a setting may be: a timeout of nothing would fail every connection, while
/// waiting nothing between retries is a fair choice.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AtLeast {
    OneSecond,
    Zero,
}

/// A duration setting (`30s`, `2min`), else `default`; every duration in the config is
/// read here.
pub(crate) fn duration_setting(
    source: &YamlSource,
    value: &Option<Spanned<String>>,
    default: Duration,
    least: AtLeast,
) -> Result<Duration, Report> {
    let Some(value) = value else { return Ok(default) };
    let seconds = units::parse_duration(&value.value).map_err(|e| source.error_at(value, e.to_string()))?;
    if seconds < 1 && matches!(least, AtLeast::OneSecond) {
        return Err(source.error_at(value, "must be at least 1s"));
    }
    Ok(Duration::from_secs(seconds.unsigned_abs()))
}

/// The place in the file of a value, for settings that keep it.
pub(crate) fn setting(source: &YamlSource, value: &Spanned<String>) -> Setting<String> {
    Setting { value: value.value.trim().to_owned(), span: source.range(&value.referenced).unwrap_or(0..0) }
}

/// A setting as written, with the bytes it was written in; else `default`, pointing at
/// `implied_at`, the bytes of the setting that implies it.
pub(crate) fn written_or<T: Copy>(
    source: &YamlSource,
    value: &Option<Spanned<T>>,
    default: T,
    implied_at: &Range<usize>,
) -> Setting<T> {
    match value {
        Some(v) => Setting { value: v.value, span: source.range(&v.referenced).unwrap_or(0..0) },
        None => Setting { value: default, span: implied_at.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_value_points_at_itself_and_a_default_at_what_implies_it() {
        #[derive(Deserialize)]
        struct Keys {
            auth: Option<Spanned<Auth>>,
        }
        let read = |yaml: &str| {
            let source = YamlSource::new("c.yaml", yaml);
            let keys: Keys = source.parse().expect("shape");
            let setting = written_or(&source, &keys.auth, Auth::Plain, &(0..3));
            (setting.value, setting.span)
        };
        assert_eq!(read("auth: xoauth2\n"), (Auth::Xoauth2, 6..13));
        assert_eq!(read("{}\n"), (Auth::Plain, 0..3));
    }
}
