//! Priorities of policies and rules, kept dense (1, 2, 3, …) as Okta's: placing an item at a priority already
//! held moves that item and the ones after it down by one; removing an item closes the gap.

/// The new order after placing `id` at `requested` (1-based; `None` or past the end: last; below 1: first) among
/// `ordered` (the current ids by priority, which may or may not hold `id`). Priority `n` is index `n - 1`.
pub fn place(ordered: &[String], id: &str, requested: Option<i64>) -> Vec<String> {
    let mut out: Vec<String> = ordered.iter().filter(|x| *x != id).cloned().collect();
    let at = match requested {
        None => out.len(),
        Some(p) => (p.max(1) - 1).min(out.len() as i64) as usize,
    };
    out.insert(at, id.to_owned());
    out
}

/// The order without `id`.
pub fn remove(ordered: &[String], id: &str) -> Vec<String> {
    ordered.iter().filter(|x| *x != id).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn inserting_shifts_the_others_and_moving_keeps_them_dense() {
        let now = ids(&["a", "b", "c"]);
        assert_eq!(place(&now, "x", Some(1)), ids(&["x", "a", "b", "c"]));
        assert_eq!(place(&now, "x", Some(2)), ids(&["a", "x", "b", "c"]));
        assert_eq!(place(&now, "x", None), ids(&["a", "b", "c", "x"]));
        assert_eq!(place(&now, "x", Some(99)), ids(&["a", "b", "c", "x"]));
        assert_eq!(place(&now, "x", Some(-3)), ids(&["x", "a", "b", "c"]));
        assert_eq!(place(&now, "c", Some(1)), ids(&["c", "a", "b"]));
        assert_eq!(place(&now, "a", Some(3)), ids(&["b", "c", "a"]));
        assert_eq!(place(&now, "b", None), ids(&["a", "c", "b"]));
        assert_eq!(remove(&now, "b"), ids(&["a", "c"]));
    }
}
