//! Masking: the default for phones and addresses. Full values are shown only
//! where a rule in the owning module says the viewer needs them, and every
//! such read is written to the access log.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::entities::sensitive_access;
use crate::error::DomainResult;

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

crate::string_enum!(SensitiveField { HealthNotes, Phone, Address, EmergencyContactPhone });

/// One read of a sensitive field, about to be logged.
#[derive(Clone, Debug)]
pub struct SensitiveAccess<'a> {
    pub community_id: i64,
    pub accessor_id: i64,
    pub subject_id: i64,
    pub field: SensitiveField,
    /// e.g. [`PURPOSE_PROFILE_VIEW`], or `CARE_REQUEST` with `care_request_id`.
    pub purpose: &'a str,
    pub care_request_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Writes one access-log row; call it where the value is revealed, in the
/// same transaction as whatever else that call changes.
pub async fn log_sensitive_access<C: ConnectionTrait>(conn: &C, access: SensitiveAccess<'_>) -> DomainResult<()> {
    sensitive_access::ActiveModel {
        community_id: Set(access.community_id),
        accessor_id: Set(access.accessor_id),
        subject_id: Set(access.subject_id),
        field: Set(access.field.as_str().into()),
        purpose: Set(access.purpose.into()),
        care_request_id: Set(access.care_request_id),
        at: Set(access.at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
