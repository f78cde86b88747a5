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

/// Place words that end a name and are kept: administrative units, villages
/// (村, 寨, 屯 …), estates and streets. Longest first where one contains another.
const PLACE_WORDS: [&str; 32] = [
    "街道",
    "社区",
    "小区",
    "新区",
    "新村",
    "安置点",
    "花园",
    "家园",
    "大道",
    "胡同",
    "村委会",
    "居委会",
    "省",
    "市",
    "州",
    "县",
    "区",
    "镇",
    "乡",
    "村",
    "寨",
    "屯",
    "堡",
    "庄",
    "组",
    "路",
    "街",
    "巷",
    "弄",
    "苑",
    "园",
    "坝",
];
/// Units that many households share, kept after their number: a building
/// (`3栋`, `12号楼`, `A座`), a village group (`五组`), a phase or block.
const SHARED_UNITS: [&str; 9] = ["号楼", "栋", "幢", "座", "组", "队", "期", "区", "片"];
/// What follows a number and names one home (or a floor of it): hidden.
const HOUSE_UNITS: [&str; 9] = ["号院", "号", "单元", "室", "户", "层", "楼", "房", "门"];
/// The same after Chinese numerals, where `户` is left out: `千户苗寨` is a place.
const HOUSE_UNITS_AFTER_WORDS: [&str; 6] = ["号院", "号", "单元", "室", "层", "楼"];
/// What is left of an address with no recognisable place word, at most.
const FREE_FORM_KEEP: usize = 4;

fn chinese_numeral(c: char) -> bool {
    "零〇一二三四五六七八九十百千两".contains(c)
}

/// The number at the start of `text` (`12`, `Ａ３`, `五`, `第三`) and its
/// length in bytes, spaces after it included; whether it has a digit or
/// `第` (then it is never part of a name).
fn leading_number(text: &str) -> Option<(usize, bool)> {
    let mut len = 0;
    let mut firm = false;
    let mut chars = text.char_indices().peekable();
    if let Some((_, '第')) = chars.peek() {
        chars.next();
        len = '第'.len_utf8();
        firm = true;
    }
    let mut any = false;
    while let Some(&(at, c)) = chars.peek() {
        if c.is_numeric() {
            firm = true;
        } else if !(c.is_ascii_alphabetic() || chinese_numeral(c)) {
            break;
        }
        any = true;
        len = at + c.len_utf8();
        chars.next();
    }
    if !any {
        return None;
    }
    let spaces = text[len..].len() - text[len..].trim_start().len();
    Some((len + spaces, firm))
}

fn starts_with_any(text: &str, words: &[&str]) -> Option<usize> {
    words.iter().find(|w| text.starts_with(**w)).map(|w| w.len())
}

fn trim_tail(text: &str) -> &str {
    text.trim_end_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || "，。、；：（）·—".contains(c))
}

/// Masks an address for people who need only to know roughly where: keeps the
/// place (community, estate and building; village and group; street) and
/// hides the house: house number, unit, floor, room, and anything after them.
///
/// - `城南社区3栋2单元502` → `城南社区3栋****`
/// - `羊排村五组十二号` → `羊排村五组****`
/// - `幸福路18号` → `幸福路****`
/// - free text with no place word keeps at most its first few characters,
///   never a digit: `老车站后面红房子` → `老车站后****`.
pub fn mask_address(address: &str) -> String {
    let text = address.trim();
    let mut at = 0;
    // Just after the last place word or shared unit read so far.
    let mut kept = None;
    while at < text.len() {
        let rest = &text[at..];
        if let Some((len, firm)) = leading_number(rest) {
            let after = &rest[len..];
            if let Some(unit) = starts_with_any(after, &SHARED_UNITS) {
                at += len + unit;
                kept = Some(at);
                continue;
            }
            let house = if firm { &HOUSE_UNITS[..] } else { &HOUSE_UNITS_AFTER_WORDS[..] };
            if firm || starts_with_any(after, house).is_some() {
                break;
            }
        }
        if let Some(word) = starts_with_any(rest, &PLACE_WORDS) {
            at += word;
            kept = Some(at);
            continue;
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    let place = match kept {
        Some(end) => trim_tail(&text[..end]),
        None => {
            // Nothing recognisable: a short lead (at most half the text), no digits.
            let lead = &text[..at];
            let keep = FREE_FORM_KEEP.min(text.chars().count() / 2);
            let end = lead
                .char_indices()
                .take_while(|(_, c)| !c.is_numeric() && !chinese_numeral(*c))
                .take(keep)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            trim_tail(&lead[..end])
        }
    };
    format!("{place}****")
}

crate::string_enum!(SensitiveField {
    HealthNotes,
    Phone,
    Address,
    EmergencyContactPhone,
    /// Where a wristband alarm was raised (an address, coordinates).
    AlarmLocation,
});

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

    /// `masked` keeps `place` and shows none of `hidden`.
    fn hides(address: &str, place: &str, hidden: &[&str]) {
        let masked = mask_address(address);
        assert_eq!(masked, format!("{place}****"), "{address}");
        for h in hidden {
            assert!(!masked.contains(h), "{address} → {masked} shows {h}");
        }
    }

    #[test]
    fn an_estate_address_keeps_the_building_and_hides_unit_and_room() {
        hides("城南社区3栋2单元502", "城南社区3栋", &["2单元", "502"]);
        hides("城南社区1栋1单元101", "城南社区1栋", &["101"]);
        hides("阳光小区A座1203室", "阳光小区A座", &["1203"]);
        hides("锦绣家园8幢3单元2楼", "锦绣家园8幢", &["3单元", "2楼"]);
        hides("城南社区三栋二单元五零二", "城南社区三栋", &["二单元", "五零二"]);
    }

    #[test]
    fn a_building_written_with_a_hao_lou_is_a_building_not_a_house_number() {
        hides("城南社区12号楼1单元301", "城南社区12号楼", &["301"]);
        hides("城南社区 12 号楼 1 单元 301", "城南社区 12 号楼", &["301"]);
    }

    #[test]
    fn a_village_address_keeps_the_village_and_its_group_and_hides_the_house_number() {
        hides("羊排村五组十二号", "羊排村五组", &["十二", "号"]);
        hides("羊排村5组12号", "羊排村5组", &["12"]);
        hides("丹江镇羊排村第五组12号", "丹江镇羊排村第五组", &["12"]);
        hides("羊排村十二号", "羊排村", &["十二"]);
    }

    #[test]
    fn a_zhai_or_tun_is_a_village_like_any_other() {
        hides("西江千户苗寨平寨3组18号", "西江千户苗寨平寨3组", &["18"]);
        hides("鲍家屯32号", "鲍家屯", &["32"]);
        hides("鲍家屯", "鲍家屯", &[]);
        hides("郎德上寨杨大叔家", "郎德上寨", &["杨大叔"]);
    }

    #[test]
    fn a_village_address_without_a_house_number_still_hides_what_follows_the_place() {
        hides("羊排村老井旁边第三家", "羊排村", &["老井", "第三家"]);
        hides("羊排村五组十二", "羊排村五组", &["十二"]);
    }

    #[test]
    fn a_street_address_keeps_the_street_and_hides_the_number() {
        hides("幸福路18号", "幸福路", &["18"]);
        hides("贵阳市观山湖区金阳南路6号世纪城C组团12栋1单元", "贵阳市观山湖区金阳南路", &["6号", "12栋"]);
        hides("乌当区新添大道北段168号", "乌当区新添大道", &["168"]);
        hides("老街巷子7号", "老街巷", &["7"]);
        hides("文化街88号院3号", "文化街", &["88", "3号"]);
        hides("八一路18号", "八一路", &["18"]);
    }

    #[test]
    fn a_full_address_keeps_every_level_above_the_house() {
        hides("贵州省黔东南州雷山县西江镇羊排村五组十二号", "贵州省黔东南州雷山县西江镇羊排村五组", &["十二号"]);
    }

    #[test]
    fn place_names_with_numerals_in_them_are_kept() {
        hides("三都县九阡镇水各村8号", "三都县九阡镇水各村", &["8号"]);
        hides("六盘水市十里坪村二组3号", "六盘水市十里坪村二组", &["3号"]);
    }

    #[test]
    fn numbers_with_dashes_and_no_words_are_hidden_whole() {
        hides("城南社区3-2-502", "城南社区", &["3", "502"]);
        hides("3-2-502", "", &["3", "502"]);
        hides("12号", "", &["12"]);
    }

    #[test]
    fn coordinates_after_an_address_are_hidden() {
        hides("3栋 (26.38000, 108.08000)", "3栋", &["26.38", "108.08"]);
        hides("羊排村五组十二号 (26.38000, 108.08000)", "羊排村五组", &["26.38", "十二"]);
        hides("26.38000, 108.08000", "", &["26", "108"]);
    }

    #[test]
    fn free_form_text_keeps_only_a_short_lead() {
        hides("老车站后面那栋红房子", "老车站后", &["红房子"]);
        hides("张三家", "张", &["张三"]);
        hides("后山", "后", &["后山"]);
        hides("家", "", &["家"]);
        hides("", "", &[]);
    }

    #[test]
    fn free_form_text_never_keeps_a_number() {
        hides("老车站旁5号", "老车站", &["5"]);
        hides("老三家对面", "老", &["三"]);
        hides("对面第二家", "对面", &["第二"]);
    }

    #[test]
    fn separators_at_the_cut_are_dropped() {
        hides("城南社区，3栋，2单元502", "城南社区，3栋", &["502"]);
        hides("羊排村、十二号", "羊排村", &["十二"]);
    }

    #[test]
    fn full_width_digits_are_numbers_too() {
        hides("羊排村５组１２号", "羊排村５组", &["１２"]);
        hides("幸福路１８号", "幸福路", &["１８"]);
    }

    #[test]
    fn nothing_after_the_first_house_detail_is_kept_even_if_it_looks_like_a_place() {
        hides("幸福路18号幸福小区3栋", "幸福路", &["18", "幸福小区", "3栋"]);
        hides("城南社区3栋2单元502室靠近幸福路", "城南社区3栋", &["502", "幸福路"]);
    }

    #[test]
    fn whatever_the_place_no_house_number_unit_or_room_is_ever_shown() {
        let places = ["城南社区3栋", "羊排村五组", "鲍家屯", "平寨3组", "幸福路", "新添大道", "阳光小区A座", "老街巷"];
        let houses = ["12号", "十二号", "2单元502", "502室", "3楼", "1-2-3", "第三家", "18号院2号"];
        for place in places {
            for house in houses {
                let address = format!("{place}{house}");
                let masked = mask_address(&address);
                assert_eq!(masked, format!("{place}****"), "{address}");
            }
        }
    }

    #[test]
    fn the_mask_keeps_only_a_leading_part_of_the_address() {
        for address in ["城南社区3栋2单元502", "羊排村五组十二号", "老车站后面那栋红房子", "3-2-502", "后山"]
        {
            let masked = mask_address(address);
            let kept = masked.strip_suffix("****").expect("the mask is marked");
            assert!(address.starts_with(kept), "{address} → {masked}");
            assert!(kept.chars().count() < address.chars().count(), "{address} → {masked} hides nothing");
        }
    }
}
