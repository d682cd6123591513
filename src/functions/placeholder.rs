//! `placeholder`: template syntax a mail merge left behind: `{{ name }}`, `{% if %}`,
//! `${name}` (Jinja, Handlebars, Liquid, Mustache, JavaScript and shell styles). The
//! inside must start like an expression (a name, optionally after a Handlebars sigil),
//! so brace-heavy text such as minified CSS or ASCII art is not mistaken for one. An
//! opening `{{ name` with no close on its line counts too: half-rendered is as broken.

use std::sync::LazyLock;

use regex::Regex;

use super::Finding;

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?mR)\{\{\{?-?[ \t]*[#/>^!&~]?[ \t]*[A-Za-z_@][^{}\n]*?\}?\}\}",
        r"|\{%-?[ \t]*[A-Za-z_][^{}\n]*?%\}",
        r"|\$\{[A-Za-z_][A-Za-z0-9_.:|\- \t]*\}",
        r"|\{\{[ \t]*[A-Za-z_][A-Za-z0-9_.]*[ \t]*$",
    ))
    .expect("valid regex")
});

pub(crate) fn find(text: &str) -> Vec<Finding> {
    // Every form holds a `{`: a value without one (each of a bulk send's thousands of
    // addresses) needs no search.
    if memchr::memchr(b'{', text.as_bytes()).is_none() {
        return Vec::new();
    }
    PLACEHOLDER.find_iter(text).map(|m| Finding::at(m.range())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|f| &text[f.range]).collect()
    }

    #[test]
    fn finds_each_syntax() {
        assert_eq!(found("Dear {{ patient.name }},"), ["{{ patient.name }}"]);
        assert_eq!(found("{% if x %}a{% endif %}"), ["{% if x %}", "{% endif %}"]);
        assert_eq!(found("on ${date} at"), ["${date}"]);
        assert_eq!(found("Dear {{name"), ["{{name"]);
        assert_eq!(found("{{#if booked}}x{{/if}}"), ["{{#if booked}}", "{{/if}}"]);
        assert_eq!(found("{{{ raw_html }}}"), ["{{{ raw_html }}}"]);
    }

    #[test]
    fn ignores_brace_noise() {
        assert!(found("{{#*_^*}|{}*<[{>|%}} {{}|^%*^*^*^)())(<>").is_empty());
    }

    #[test]
    fn ignores_ordinary_braces_and_prices() {
        assert!(found("cost $5 {not a template} {x}").is_empty());
    }
}
