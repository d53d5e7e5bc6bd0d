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

/// [`place`] among items of which some are pinned last (a system policy or rule, which Okta keeps at the lowest
/// priority): `ordered` holds `(id, pinned)` by current priority, and may or may not hold `id` itself, which is
/// pinned when `pinned` says so. An unpinned item is placed at `requested` counted among the unpinned only; the
/// pinned follow in their current order, a new pinned one after them.
pub fn place_pinned(
    ordered: &[(String, bool)],
    id: &str,
    pinned: bool,
    requested: Option<i64>,
) -> Vec<String> {
    let free: Vec<String> = ordered
        .iter()
        .filter(|(x, p)| !p && x != id)
        .map(|(x, _)| x.clone())
        .collect();
    let mut out = if pinned {
        free
    } else {
        place(&free, id, requested)
    };
    // The pinned in their current order (`id` among them if it was pinned already).
    out.extend(
        ordered
            .iter()
            .filter(|(x, p)| *p && (pinned || x != id))
            .map(|(x, _)| x.clone()),
    );
    if pinned && !out.iter().any(|x| x == id) {
        out.push(id.to_owned());
    }
    out
}

/// The 1-based priority of `id` in `order` (1 if absent), as stored for it after [`place`] or [`place_pinned`].
pub fn position(order: &[String], id: &str) -> i64 {
    order
        .iter()
        .position(|x| x == id)
        .map_or(1, |i| i as i64 + 1)
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
        assert_eq!(position(&now, "a"), 1);
        assert_eq!(position(&now, "c"), 3);
        assert_eq!(position(&now, "x"), 1);
    }

    #[test]
    fn pinned_items_stay_last() {
        let now: Vec<(String, bool)> = vec![
            ("a".into(), false),
            ("b".into(), false),
            ("sys".into(), true),
        ];
        assert_eq!(
            place_pinned(&now, "x", false, None),
            ids(&["a", "b", "x", "sys"])
        );
        assert_eq!(
            place_pinned(&now, "x", false, Some(99)),
            ids(&["a", "b", "x", "sys"])
        );
        assert_eq!(
            place_pinned(&now, "x", false, Some(1)),
            ids(&["x", "a", "b", "sys"])
        );
        assert_eq!(
            place_pinned(&now, "b", false, Some(1)),
            ids(&["b", "a", "sys"])
        );
        // A pinned item keeps its place whatever it asks for; a new one goes last.
        assert_eq!(
            place_pinned(&now, "sys", true, Some(1)),
            ids(&["a", "b", "sys"])
        );
        assert_eq!(
            place_pinned(&now, "sys2", true, Some(1)),
            ids(&["a", "b", "sys", "sys2"])
        );
        let two: Vec<(String, bool)> = vec![
            ("a".into(), false),
            ("s1".into(), true),
            ("s2".into(), true),
        ];
        assert_eq!(
            place_pinned(&two, "s1", true, None),
            ids(&["a", "s1", "s2"])
        );
        assert_eq!(place_pinned(&[], "sys", true, Some(3)), ids(&["sys"]));
    }
}
