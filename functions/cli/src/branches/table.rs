//! The tables `switchyard branches` prints for people: left-aligned columns two spaces apart,
//! the first row the header. Cells are already one bounded line each (the callers' job: their
//! values come from tags and host listings).

/// Renders `rows` (all of one length), every column as wide as its widest cell, no trailing
/// spaces.
pub fn render(rows: Vec<Vec<String>>) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
