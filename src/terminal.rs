//! Making text safe for a terminal: log lines come from outside and may hold
//! escape sequences (colours, cursor moves, OSC titles) or other control bytes.
//! Everything we print from a log goes through [`sanitize`] first.

use std::borrow::Cow;

/// Removes ANSI escape sequences (CSI, OSC, and two-byte ESC sequences) and
/// replaces every other control character (C0 except tab, DEL, C1) with `�`.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.peek() {
                // CSI: ESC [ params intermediates final(0x40..=0x7e)
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC / DCS / SOS / PM / APC: until BEL or ST (ESC \)
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
        } else if c == '\u{9b}' {
            // C1 CSI
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        } else if is_control(c) {
            out.push('\u{fffd}');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_control(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

/// Whether colour is off: `NO_COLOR` set to anything non-empty (no-color.org),
/// or `ui.no_color` in the config.
pub fn no_color(config_no_color: bool) -> bool {
    config_no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(sanitize("plain\ttext"), "plain\ttext");
        assert!(matches!(sanitize("plain"), Cow::Borrowed(_)));
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "red");
        assert_eq!(sanitize("a\x1b]0;title\x07b"), "ab");
        assert_eq!(sanitize("a\x1b]8;;http://x\x1b\\b"), "ab");
        assert_eq!(sanitize("bell\x07 cr\r"), "bell\u{fffd} cr\u{fffd}");
        assert_eq!(sanitize("c1\u{9b}2Jx"), "c1x");
        assert_eq!(sanitize("trailing\x1b"), "trailing");
    }
}
