//! Styles of the TUI in one place, with a colourless variant for `NO_COLOR`
//! (and `ui.no_color`): then only bold, reversed, underlined and dim remain,
//! and chart series differ by marker instead of colour.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;

use super::highlight::Class;

/// The palette in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub no_color: bool,
}

const SERIES: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
    Color::White,
    Color::LightGreen,
];

/// Markers that tell series apart without colour.
const MARKERS: [(Marker, char); 4] =
    [(Marker::Braille, '⣿'), (Marker::Dot, '•'), (Marker::Block, '█'), (Marker::HalfBlock, '▀')];

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.no_color { Style::new() } else { Style::new().fg(c) }
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.no_color) {
            (true, true) => Style::new().add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (false, true) => Style::new(),
            (false, false) => Style::new().fg(Color::DarkGray),
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if focused && !self.no_color { s.fg(Color::Cyan) } else { s }
    }

    /// Hints, placeholders, secondary text.
    pub fn dim(&self) -> Style {
        if self.no_color { Style::new().add_modifier(Modifier::DIM) } else { Style::new().fg(Color::DarkGray) }
    }

    pub fn time(&self) -> Style {
        self.fg(Color::Blue)
    }

    /// Text matched by a line filter.
    pub fn hit(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        }
    }

    pub fn selected(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().bg(Color::Rgb(40, 44, 52)).add_modifier(Modifier::BOLD)
        }
    }

    pub fn error(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD)
        }
    }

    /// The character a parse error points at.
    pub fn error_mark(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(Color::White).bg(Color::Red)
        }
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn gauge(&self) -> Style {
        if self.no_color { Style::new() } else { Style::new().fg(Color::Cyan).bg(Color::Black) }
    }

    pub fn status_bar(&self) -> Style {
        if self.no_color { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new().bg(Color::Rgb(30, 30, 36)) }
    }

    /// A LogQL token class in the editor.
    pub fn syntax(&self, c: Class) -> Style {
        if self.no_color {
            return match c {
                Class::Keyword | Class::Function => Style::new().add_modifier(Modifier::BOLD),
                Class::Comment => Style::new().add_modifier(Modifier::DIM),
                Class::Error => Style::new().add_modifier(Modifier::UNDERLINED),
                _ => Style::new(),
            };
        }
        match c {
            Class::Keyword => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Class::Function => Style::new().fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            Class::String => Style::new().fg(Color::Green),
            Class::Number => Style::new().fg(Color::LightYellow),
            Class::Duration => Style::new().fg(Color::Yellow),
            Class::Label => Style::new().fg(Color::Cyan),
            Class::Operator => Style::new().fg(Color::LightMagenta),
            Class::Punct => Style::new().fg(Color::Gray),
            Class::Comment => Style::new().fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            Class::Error => Style::new().fg(Color::LightRed).add_modifier(Modifier::UNDERLINED),
        }
    }

    /// Style and marker of chart series `i`.
    pub fn series(&self, i: usize) -> (Style, Marker, char) {
        if self.no_color {
            let (m, c) = MARKERS[i % MARKERS.len()];
            (Style::new(), m, c)
        } else {
            (Style::new().fg(SERIES[i % SERIES.len()]), Marker::Braille, '━')
        }
    }
}
