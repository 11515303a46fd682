//! The template's fields as the template screen lists and edits them. Their names are derived
//! from the variants (the template file's keys), so the list, the prompts and the editor's
//! title cannot disagree with the fields they change.

use strum::{EnumCount, EnumIter, FromRepr, IntoEnumIterator, IntoStaticStr};

use crate::invite::template::Template;

/// One editable field of a [`Template`], in screen order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, EnumCount, FromRepr, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[repr(usize)]
pub enum TemplateField {
    WelcomeText,
    LinkText,
    LinkLabel,
    ClpUrl,
    SenderId,
    Country,
    Locale,
    WelcomeDelayMs,
    LinkDelayMs,
    LeaveDelayMs,
    SendAccept,
    SendLeave,
    MaxSegments,
    Name,
}

impl TemplateField {
    /// The field's key in a template file.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Every field, in screen order.
    pub fn all() -> impl Iterator<Item = TemplateField> {
        TemplateField::iter()
    }

    /// The field's line on the template screen.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The field on line `i` of the template screen.
    pub fn at(i: usize) -> Option<TemplateField> {
        TemplateField::from_repr(i)
    }

    /// The message texts run over several lines, so they get the multi-line editor.
    pub fn is_message_text(self) -> bool {
        matches!(self, TemplateField::WelcomeText | TemplateField::LinkText)
    }

    /// The field's value as text, as the screen shows it and the prompt starts from.
    pub fn value(self, t: &Template) -> String {
        use TemplateField::*;
        match self {
            Name => t.name.clone(),
            WelcomeText => t.welcome_text.clone(),
            LinkText => t.link_text.clone(),
            LinkLabel => t.link_label.clone(),
            ClpUrl => t.clp_url.clone(),
            SenderId => t.sender_id.clone(),
            Country => t.country.clone(),
            Locale => t.locale.clone(),
            WelcomeDelayMs => t.welcome_delay_ms.to_string(),
            LinkDelayMs => t.link_delay_ms.to_string(),
            LeaveDelayMs => t.leave_delay_ms.to_string(),
            SendAccept => t.send_accept.to_string(),
            SendLeave => t.send_leave.to_string(),
            MaxSegments => t.max_segments.to_string(),
        }
    }

    /// Sets the field from text typed in the prompt or the editor; a value the field cannot
    /// take leaves the template as it was and says what it wants.
    pub fn set(self, t: &mut Template, raw: &str) -> Result<(), String> {
        use TemplateField::*;
        let name = self.name();
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{name} must be a whole number of milliseconds"))
        };
        let flag = |s: &str| match s.trim() {
            "true" | "yes" | "on" => Ok(true),
            "false" | "no" | "off" => Ok(false),
            _ => Err(format!("{name} must be true or false")),
        };
        match self {
            Name => t.name = raw.trim().to_string(),
            WelcomeText => t.welcome_text = raw.to_string(),
            LinkText => t.link_text = raw.to_string(),
            LinkLabel => t.link_label = raw.to_string(),
            ClpUrl => t.clp_url = raw.trim().to_string(),
            SenderId => t.sender_id = raw.trim().to_string(),
            Country => t.country = raw.trim().to_ascii_uppercase(),
            Locale => t.locale = raw.trim().to_string(),
            WelcomeDelayMs => t.welcome_delay_ms = num(raw)?,
            LinkDelayMs => t.link_delay_ms = num(raw)?,
            LeaveDelayMs => t.leave_delay_ms = num(raw)?,
            SendAccept => t.send_accept = flag(raw)?,
            SendLeave => t.send_leave = flag(raw)?,
            MaxSegments => {
                t.max_segments = raw
                    .trim()
                    .parse()
                    .map_err(|_| "max_segments must be a whole number, 1 or more".to_string())?
            }
        }
        Ok(())
    }

    /// What the prompt says under the value; `set_link_key` is the key that sets an
    /// organization's own address on the confirm screen.
    pub fn help(self, set_link_key: &str) -> String {
        use TemplateField::*;
        match self {
            WelcomeText | LinkText => {
                "variables {givenName|there} {familyName} {organization} …; \\n for a new line"
                    .into()
            }
            ClpUrl => format!(
                "fallback https address of a landing page; each organization's own address wins ({set_link_key} on confirm)"
            ),
            SenderId => {
                "up to 11 letters/digits/spaces, or empty for the service's number (two-way)".into()
            }
            Country => "two-letter country for numbers typed without +: NL, BE, DE, …".into(),
            SendAccept | SendLeave => "true or false".into(),
            MaxSegments => "the most segments one SMS may take with a contact's values in".into(),
            WelcomeDelayMs | LinkDelayMs | LeaveDelayMs => {
                "milliseconds after the request arrives".into()
            }
            LinkLabel | Locale | Name => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field's name is a key of the template file, and each one's value goes through
    /// `set` unchanged: the list cannot name a field the template does not have.
    #[test]
    fn names_are_the_template_files_keys_and_values_round_trip() {
        let t = Template::default();
        let toml = t.to_toml().expect("toml");
        let table: toml::Table = toml::from_str(&toml).expect("table");
        assert_eq!(TemplateField::all().count(), TemplateField::COUNT);
        for (i, f) in TemplateField::all().enumerate() {
            assert!(
                table.contains_key(f.name()),
                "{} is not a template key",
                f.name()
            );
            assert_eq!(TemplateField::at(i), Some(f));
            assert_eq!(f.index(), i);
            let mut copy = t.clone();
            f.set(&mut copy, &f.value(&t)).expect("its own value");
            assert_eq!(copy, t, "{}", f.name());
        }
        assert_eq!(
            table.len(),
            TemplateField::COUNT,
            "every template key is listed"
        );
        assert_eq!(TemplateField::at(TemplateField::COUNT), None);
        assert_eq!(TemplateField::WelcomeDelayMs.name(), "welcome_delay_ms");
    }

    #[test]
    fn bad_values_are_refused_with_the_field_name() {
        let mut t = Template::default();
        let e = TemplateField::LinkDelayMs.set(&mut t, "soon").unwrap_err();
        assert_eq!(e, "link_delay_ms must be a whole number of milliseconds");
        let e = TemplateField::SendLeave.set(&mut t, "maybe").unwrap_err();
        assert_eq!(e, "send_leave must be true or false");
        assert_eq!(t, Template::default());
    }
}
