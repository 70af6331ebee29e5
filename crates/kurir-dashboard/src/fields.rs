//! A posted form's fields, by name and in order (a name may repeat, as a multiple select's does).

#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Fields(pairs)
    }

    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_owned(), value.into()));
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// Every value of `name` that is not blank, trimmed.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.trim()).collect()
    }

    /// Whether a checkbox `name` was ticked (sent with any value).
    pub fn checked(&self, name: &str) -> bool {
        !self.text(name).is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Without `name`: for a test that changes one field.
    pub fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_by_name() {
        let fields = Fields::new(vec![
            ("a".into(), " one ".into()),
            ("b".into(), "x".into()),
            ("b".into(), " ".into()),
            ("b".into(), "y".into()),
        ]);
        assert_eq!(fields.text("a"), "one");
        assert_eq!(fields.text("missing"), "");
        assert_eq!(fields.all("b"), vec!["x", "y"]);
        assert!(fields.checked("a") && !fields.checked("missing"));
        assert_eq!(fields.without("b").all("b"), Vec::<&str>::new());
    }
}
