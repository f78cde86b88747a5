//! Masking: the default for phones and addresses. Full values are shown only
//! where a rule in the owning module says the viewer needs them.

/// `13812345678` → `138****5678`; landlines keep the area code and last four.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() <= 4 {
        return "****".into();
    }
    let keep_start = match phone.find('-') {
        Some(dash) => dash + 1,
        None => 3.min(digits.len() - 4),
    };
    let start: String = digits[..keep_start].iter().collect();
    let end: String = digits[digits.len() - 4..].iter().collect();
    format!("{start}****{end}")
}

/// Cuts an address after the building (`…3栋`), hiding unit and room.
pub fn mask_address(address: &str) -> String {
    const BUILDING_MARKS: [&str; 4] = ["号楼", "栋", "幢", "座"];
    let cut = BUILDING_MARKS.iter().filter_map(|mark| address.find(mark).map(|at| at + mark.len())).min();
    match cut {
        Some(end) => format!("{}****", &address[..end]),
        None => {
            // No building in the text: keep the leading words (estate or street), drop the rest.
            let keep: String = address.chars().take_while(|c| !c.is_ascii_digit()).take(12).collect();
            format!("{}****", keep.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_only_the_ends() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0855-1234567"), "0855-****4567");
        assert_eq!(mask_phone("123"), "****");
    }

    #[test]
    fn addresses_are_cut_to_the_building() {
        assert_eq!(mask_address("城南社区3栋2单元502"), "城南社区3栋****");
        assert_eq!(mask_address("城南社区 12号楼 1单元 301"), "城南社区 12号楼****");
        assert_eq!(mask_address("幸福路18号"), "幸福路****");
    }
}
