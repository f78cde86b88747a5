//! Dedication points (党员奉献积分): append-only entries, each with its
//! reason and source; a balance is the sum of entries, and nothing updates a
//! score in place. Rules are per community with documented defaults (the
//! seeds give no base or amounts). Month scores are Asia/Shanghai months; a
//! run of months at or above the bonus threshold (below the penalty
//! threshold) earns the bonus (penalty) exactly once per run.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};

use crate::entities::{award_nomination, dedication_entry, dedication_rules, report_in};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::pagination::{Page, PageRequest};
use crate::rule_changes::RuleSet;

crate::area_service!(
    /// Dedication points (党员奉献积分): rules, entries, month scores, leaderboards and awards.
    Points
);

/// A community's rules. Every amount can be changed by its secretary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DedicationRules {
    /// An approved order finished before its deadline.
    pub order_on_time: i32,
    /// An approved order finished after its deadline, on top of `order_overdue`.
    pub order_late: i32,
    /// A claim not finished by its deadline: written by the deadline sweep
    /// while it is still open, or at approval if it was finished late; once.
    pub order_overdue: i32,
    /// A rating of at least `good_rating_min_stars`.
    pub good_rating: i32,
    pub good_rating_min_stars: i32,
    /// A rating of at most `low_rating_max_stars`.
    pub low_rating: i32,
    pub low_rating_max_stars: i32,
    /// A micro-wish fulfilled and approved.
    pub wish_fulfilled: i32,
    /// A claimed wish left unfulfilled past its deadline.
    pub wish_claim_expired: i32,
    /// Days a member has to fulfil a claimed wish.
    pub wish_claim_days: i32,
    /// Checked in at a volunteer activity.
    pub activity_attended: i32,
    /// Claimed a volunteer post (once per post and year).
    pub post_claimed: i32,
    /// A month's score is this base plus the month's points.
    pub monthly_base: i32,
    pub bonus_threshold: i32,
    pub bonus_points: i32,
    pub penalty_threshold: i32,
    pub penalty_points: i32,
    /// Consecutive months for the bonus or the penalty.
    pub run_months: i32,
    /// 四个一: households each member keeps in touch with (5–8 for 包保).
    pub households_to_keep: i32,
}

impl Default for DedicationRules {
    fn default() -> Self {
        Self {
            order_on_time: 5,
            order_late: 0,
            order_overdue: -5,
            good_rating: 2,
            good_rating_min_stars: 4,
            low_rating: -3,
            low_rating_max_stars: 2,
            wish_fulfilled: 5,
            wish_claim_expired: -3,
            wish_claim_days: 7,
            activity_attended: 2,
            post_claimed: 2,
            monthly_base: 60,
            bonus_threshold: 80,
            bonus_points: 10,
            penalty_threshold: 60,
            penalty_points: -10,
            run_months: 3,
            households_to_keep: 1,
        }
    }
}

impl DedicationRules {
    pub fn validate(&self) -> DomainResult<()> {
        let amounts = [
            self.order_on_time,
            self.order_late,
            self.order_overdue,
            self.good_rating,
            self.low_rating,
            self.wish_fulfilled,
            self.wish_claim_expired,
            self.activity_attended,
            self.post_claimed,
            self.bonus_points,
            self.penalty_points,
        ];
        if amounts.iter().any(|a| a.abs() > 100) {
            return Err(DomainError::bad_input("rules", "each amount must be between -100 and 100 points"));
        }
        if !(1..=5).contains(&self.good_rating_min_stars) || !(1..=5).contains(&self.low_rating_max_stars) {
            return Err(DomainError::bad_input("rules", "star thresholds must be between 1 and 5"));
        }
        if self.low_rating_max_stars >= self.good_rating_min_stars {
            return Err(DomainError::bad_input("rules", "a low rating must have fewer stars than a good one"));
        }
        if !(1..=12).contains(&self.run_months) {
            return Err(DomainError::bad_input("runMonths", "runs must be 1 to 12 months long"));
        }
        if self.penalty_threshold > self.bonus_threshold {
            return Err(DomainError::bad_input(
                "penaltyThreshold",
                "the penalty threshold must not exceed the bonus threshold",
            ));
        }
        if !(0..=1000).contains(&self.monthly_base) {
            return Err(DomainError::bad_input("monthlyBase", "the monthly base must be between 0 and 1000"));
        }
        if !(1..=20).contains(&self.households_to_keep) {
            return Err(DomainError::bad_input("householdsToKeep", "households to keep in touch with must be 1 to 20"));
        }
        if !(1..=60).contains(&self.wish_claim_days) {
            return Err(DomainError::bad_input("wishClaimDays", "a wish claim lasts 1 to 60 days"));
        }
        Ok(())
    }
}

/// A calendar month in Asia/Shanghai.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&Shanghai);
        Self { year: local.year(), month: local.month() }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }

    pub fn parse(field: &'static str, s: &str) -> DomainResult<Self> {
        let bad = || DomainError::bad_input(field, "write the month as YYYY-MM, e.g. 2026-11");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (year, month) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn quarter(self) -> Quarter {
        Quarter { year: self.year, quarter: (self.month - 1) / 3 + 1 }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A quarter (for the Dedication Award), e.g. 2026Q4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    pub quarter: u32,
}

impl Quarter {
    pub fn parse(field: &'static str, s: &str) -> DomainResult<Self> {
        let bad = || DomainError::bad_input(field, "write the quarter as YYYYQn, e.g. 2026Q4");
        let (y, q) =
            s.trim().to_uppercase().split_once('Q').map(|(a, b)| (a.to_owned(), b.to_owned())).ok_or_else(bad)?;
        let (year, quarter) = (y.parse::<i32>().map_err(|_| bad())?, q.parse::<u32>().map_err(|_| bad())?);
        if !(2000..=2100).contains(&year) || !(1..=4).contains(&quarter) {
            return Err(bad());
        }
        Ok(Self { year, quarter })
    }

    pub fn months(self) -> [Month; 3] {
        let first = (self.quarter - 1) * 3 + 1;
        [0, 1, 2].map(|i| Month { year: self.year, month: first + i })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
    }
}

crate::string_enum!(
    /// Where an entry came from.
    SourceKind { Order, Rating, Wish, Activity, Post, Manual, Bonus, Penalty }
);

impl SourceKind {
    /// Bonus and penalty entries come from month scores, so they do not count in them.
    fn counts_in_month_score(self) -> bool {
        !matches!(self, SourceKind::Bonus | SourceKind::Penalty)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DedicationEntry {
    pub id: i64,
    pub community_id: i64,
    pub member_id: i64,
    pub points: i32,
    pub reason: String,
    pub source_kind: SourceKind,
    pub source_id: Option<i64>,
    pub month: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<dedication_entry::Model> for DedicationEntry {
    type Error = DomainError;
    fn try_from(m: dedication_entry::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            member_id: m.member_id,
            points: m.points,
            reason: m.reason,
            source_kind: SourceKind::parse(&m.source_kind)?,
            source_id: m.source_id,
            month: m.month,
            created_by: m.created_by,
            created_at: m.created_at,
        })
    }
}

/// A change to a member's points, written once per `key`.
pub(crate) struct Credit {
    pub community_id: i64,
    pub member_id: i64,
    pub points: i32,
    pub reason: String,
    pub kind: SourceKind,
    pub source_id: Option<i64>,
    /// Unique: the same rule on the same source never applies twice.
    pub key: String,
    pub created_by: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Writes the entry unless one with the same key exists (then `false`).
/// Zero-point rules write nothing.
pub(crate) async fn credit<C: ConnectionTrait>(conn: &C, c: Credit) -> DomainResult<bool> {
    if c.points == 0 {
        return Ok(false);
    }
    let row = dedication_entry::ActiveModel {
        community_id: Set(c.community_id),
        member_id: Set(c.member_id),
        points: Set(c.points),
        reason: Set(c.reason),
        source_kind: Set(c.kind.as_str().into()),
        source_id: Set(c.source_id),
        source_key: Set(c.key),
        month: Set(Month::of(c.at).to_string()),
        created_by: Set(c.created_by),
        created_at: Set(c.at),
        ..Default::default()
    };
    let written = dedication_entry::Entity::insert(row)
        .on_conflict(OnConflict::column(dedication_entry::Column::SourceKey).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(written == 1)
}

pub(crate) async fn rules_for<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<DedicationRules> {
    match dedication_rules::Entity::find_by_id(community_id).one(conn).await? {
        Some(row) => serde_json::from_str(&row.rules).map_err(DomainError::internal),
        None => Ok(DedicationRules::default()),
    }
}

/// Runs of consecutive months where `holds` is true and which reach `length`:
/// (first month of the run, month in which it reached `length`).
pub fn qualifying_runs(scores: &[(Month, i32)], holds: impl Fn(i32) -> bool, length: usize) -> Vec<(Month, Month)> {
    let mut runs = Vec::new();
    let mut current: Option<(Month, usize)> = None;
    let mut previous: Option<Month> = None;
    for &(month, score) in scores {
        let consecutive = previous.is_some_and(|p| p.next() == month);
        if holds(score) {
            let (start, len) = match current {
                Some((start, len)) if consecutive => (start, len + 1),
                _ => (month, 1),
            };
            if len == length {
                runs.push((start, month));
            }
            current = Some((start, len));
        } else {
            current = None;
        }
        previous = Some(month);
    }
    runs
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthScore {
    pub month: Month,
    /// Base plus the month's points (bonus and penalty excluded).
    pub score: i32,
    pub points: i32,
}

#[derive(Clone, Debug)]
pub struct Standing {
    pub member_id: i64,
    pub party_branch: String,
    pub points: i32,
    pub rank: u32,
}

/// Ranks standings already sorted by points, highest first: equal points
/// share a rank, and the next rank counts everyone above (1, 1, 3).
fn rank(standings: &mut [Standing]) {
    let mut rank = 0;
    let mut previous = None;
    for (i, s) in standings.iter_mut().enumerate() {
        if previous != Some(s.points) {
            rank = i as u32 + 1;
            previous = Some(s.points);
        }
        s.rank = rank;
    }
}

/// A quarterly award nomination, as stored.
pub type Nomination = award_nomination::Model;

/// The period a leaderboard covers.
#[derive(Clone, Copy, Debug)]
pub enum Period {
    Month(Month),
    Quarter(Quarter),
}

impl Period {
    fn months(self) -> Vec<Month> {
        match self {
            Period::Month(m) => vec![m],
            Period::Quarter(q) => q.months().to_vec(),
        }
    }
}

const MAX_NOMINEES_PER_BRANCH: usize = 3;
/// How far back month runs are evaluated.
const RUN_LOOKBACK_MONTHS: usize = 36;

fn month_scores_from(entries: &[DedicationEntry], months: &[Month], base: i32) -> Vec<MonthScore> {
    let mut earned: HashMap<String, i32> = HashMap::new();
    for e in entries.iter().filter(|e| e.source_kind.counts_in_month_score()) {
        *earned.entry(e.month.clone()).or_default() += e.points;
    }
    months
        .iter()
        .map(|m| {
            let points = earned.get(&m.to_string()).copied().unwrap_or(0);
            MonthScore { month: *m, score: base + points, points }
        })
        .collect()
}

fn months_between(first: Month, last: Month) -> Vec<Month> {
    let mut out = Vec::new();
    let mut m = first;
    while m <= last {
        out.push(m);
        m = m.next();
    }
    out
}

impl Points<'_> {
    pub async fn rules(self, actor: &Actor, community_id: i64) -> DomainResult<DedicationRules> {
        actor.require_member(community_id)?;
        rules_for(&self.d.db, community_id).await
    }

    pub async fn set_rules(
        self,
        actor: &Actor,
        community_id: i64,
        rules: DedicationRules,
    ) -> DomainResult<DedicationRules> {
        actor.require(&authority::SET_DEDICATION_RULES, community_id)?;
        rules.validate()?;
        crate::rule_changes::save(self.d, actor, RuleSet::Dedication, community_id, &rules).await?;
        Ok(rules)
    }

    /// A secretary's manual adjustment, with its reason. The key makes a retry safe.
    pub async fn adjust(
        self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        points: i32,
        reason: &str,
        idempotency_key: &str,
    ) -> DomainResult<DedicationEntry> {
        actor.require(&authority::ADJUST_DEDICATION_POINTS, community_id)?;
        actor.require_not_self_for(&authority::ADJUST_DEDICATION_POINTS, Some(member_id))?;
        if points == 0 || points.abs() > 100 {
            return Err(DomainError::bad_input("points", "an adjustment is between -100 and 100 points, and not 0"));
        }
        let reason = crate::validate::required_text("reason", reason, 200)?;
        crate::idempotency::check_key(idempotency_key)?;
        if !self.d.org().roles_of(&self.d.db, member_id, community_id).await?.contains(&Role::PartyMember) {
            return Err(DomainError::bad_input("memberId", "this person is not a party member of the community"));
        }
        let key = format!("manual:{community_id}:{}:{idempotency_key}", actor.user_id);
        credit(
            &self.d.db,
            Credit {
                community_id,
                member_id,
                points,
                reason: reason.clone(),
                kind: SourceKind::Manual,
                source_id: None,
                key: key.clone(),
                created_by: Some(actor.user_id),
                at: self.d.clock.now(),
            },
        )
        .await?;
        let entry: DedicationEntry = dedication_entry::Entity::find()
            .filter(dedication_entry::Column::SourceKey.eq(key))
            .one(&self.d.db)
            .await?
            .ok_or_else(|| DomainError::internal("adjustment vanished"))?
            .try_into()?;
        if entry.member_id != member_id || entry.points != points || entry.reason != reason {
            return Err(DomainError::Conflict(
                "this idempotencyKey was already used for a different adjustment; use a new key".into(),
            ));
        }
        Ok(entry)
    }

    fn require_points_viewer(
        self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        rule: &authority::Rule,
    ) -> DomainResult<()> {
        actor.require_member(community_id)?;
        actor.require_theirs_or(rule, community_id, actor.user_id == member_id)
    }

    /// A member's balance (the sum of every entry) and entries, newest first.
    pub async fn account(
        self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        page: PageRequest,
    ) -> DomainResult<(i64, Page<DedicationEntry>)> {
        self.require_points_viewer(actor, community_id, member_id, &authority::DEDICATION_POINTS)?;
        let all = self.entries_of(&self.d.db, community_id, Some(member_id)).await?;
        let balance: i64 = all.iter().map(|e| i64::from(e.points)).sum();
        let total_count = all.len() as u64;
        let mut newest_first: Vec<DedicationEntry> =
            all.into_iter().rev().filter(|e| page.after.is_none_or(|after| e.id < after)).collect();
        let has_next_page = newest_first.len() as u64 > page.first;
        newest_first.truncate(page.first as usize);
        Ok((balance, Page { items: newest_first, has_next_page, has_previous_page: page.after.is_some(), total_count }))
    }

    async fn entries_of<C: ConnectionTrait>(
        self,
        conn: &C,
        community_id: i64,
        member: Option<i64>,
    ) -> DomainResult<Vec<DedicationEntry>> {
        let mut query = dedication_entry::Entity::find().filter(dedication_entry::Column::CommunityId.eq(community_id));
        if let Some(member) = member {
            query = query.filter(dedication_entry::Column::MemberId.eq(member));
        }
        query
            .order_by_asc(dedication_entry::Column::Id)
            .all(conn)
            .await?
            .into_iter()
            .map(DedicationEntry::try_from)
            .collect()
    }

    /// Month scores, recomputed from the entries every time.
    pub async fn month_scores(
        self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        from: Month,
        to: Month,
    ) -> DomainResult<Vec<MonthScore>> {
        self.require_points_viewer(actor, community_id, member_id, &authority::MONTH_SCORES)?;
        if from > to || months_between(from, to).len() > 36 {
            return Err(DomainError::bad_input("from", "ask for 1 to 36 months, oldest first"));
        }
        let rules = rules_for(&self.d.db, community_id).await?;
        let entries = self.entries_of(&self.d.db, community_id, Some(member_id)).await?;
        Ok(month_scores_from(&entries, &months_between(from, to), rules.monthly_base))
    }

    /// Awards the bonus and the penalty for every run that has reached its
    /// length by the end of `through` (a month that is over). Idempotent:
    /// each run is keyed by its first month, so re-running adds nothing.
    /// Returns the entries it wrote.
    pub async fn close_months(self, community_id: i64, through: Month) -> DomainResult<Vec<DedicationEntry>> {
        let now = self.d.clock.now();
        if through >= Month::of(now) {
            return Err(DomainError::bad_input("month", "that month is not over yet"));
        }
        let rules = rules_for(&self.d.db, community_id).await?;
        let entries = self.entries_of(&self.d.db, community_id, None).await?;
        let mut by_member: BTreeMap<i64, Vec<DedicationEntry>> = BTreeMap::new();
        for e in entries {
            by_member.entry(e.member_id).or_default().push(e);
        }
        for member in self.reported_in_members(community_id).await?.into_keys() {
            by_member.entry(member).or_default();
        }
        let earliest = (0..RUN_LOOKBACK_MONTHS - 1).fold(through, |m, _| m.previous());
        let mut written = Vec::new();
        let length = rules.run_months as usize;
        for (member, entries) in by_member {
            let first = entries
                .iter()
                .filter_map(|e| Month::parse("month", &e.month).ok())
                .min()
                .unwrap_or(through)
                .max(earliest);
            let scores: Vec<(Month, i32)> =
                month_scores_from(&entries, &months_between(first, through), rules.monthly_base)
                    .into_iter()
                    .map(|s| (s.month, s.score))
                    .collect();
            let bonus_runs = qualifying_runs(&scores, |s| s >= rules.bonus_threshold, length);
            let penalty_runs = qualifying_runs(&scores, |s| s < rules.penalty_threshold, length);
            for (kind, runs, points, verb) in [
                (SourceKind::Bonus, bonus_runs, rules.bonus_points, format!("at or above {}", rules.bonus_threshold)),
                (SourceKind::Penalty, penalty_runs, rules.penalty_points, format!("below {}", rules.penalty_threshold)),
            ] {
                for (start, reached) in runs {
                    let key = format!("{}:{community_id}:{member}:{start}", kind.as_str().to_lowercase());
                    // Keyed by the run's first month: a run already awarded writes nothing.
                    let wrote = credit(
                        &self.d.db,
                        Credit {
                            community_id,
                            member_id: member,
                            points,
                            reason: format!("{length} consecutive months {verb} ({start} to {reached})"),
                            kind,
                            source_id: None,
                            key: key.clone(),
                            created_by: None,
                            at: now,
                        },
                    )
                    .await?;
                    if !wrote {
                        continue;
                    }
                    if let Some(row) = dedication_entry::Entity::find()
                        .filter(dedication_entry::Column::SourceKey.eq(key))
                        .one(&self.d.db)
                        .await?
                    {
                        written.push(row.try_into()?);
                    }
                }
            }
        }
        Ok(written)
    }

    /// Closes `through` for every community (the monthly sweep).
    pub async fn close_months_everywhere(self, through: Month) -> DomainResult<usize> {
        let mut written = 0;
        for c in crate::entities::community::Entity::find().all(&self.d.db).await? {
            written += self.close_months(c.id, through).await?.len();
        }
        Ok(written)
    }

    /// As [`Domain::close_dedication_months`], by the secretary.
    pub async fn close_month(
        self,
        actor: &Actor,
        community_id: i64,
        through: Month,
    ) -> DomainResult<Vec<DedicationEntry>> {
        actor.require(&authority::CLOSE_DEDICATION_MONTH, community_id)?;
        self.close_months(community_id, through).await
    }

    /// Approved report-ins: member → party branch.
    pub(crate) async fn reported_in_members(self, community_id: i64) -> DomainResult<HashMap<i64, String>> {
        Ok(report_in::Entity::find()
            .filter(report_in::Column::CommunityId.eq(community_id))
            .filter(report_in::Column::Status.eq(crate::party::ReportInStatus::Approved.as_str()))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|r| (r.user_id, r.party_branch))
            .collect())
    }

    /// Points earned in a month or quarter, ranked; members of the community only.
    pub async fn leaderboard(self, actor: &Actor, community_id: i64, period: Period) -> DomainResult<Vec<Standing>> {
        actor.require(&authority::DEDICATION_LEADERBOARD, community_id)?;
        self.standings(community_id, period).await
    }

    async fn standings(self, community_id: i64, period: Period) -> DomainResult<Vec<Standing>> {
        let months: Vec<String> = period.months().iter().map(ToString::to_string).collect();
        let entries = dedication_entry::Entity::find()
            .filter(dedication_entry::Column::CommunityId.eq(community_id))
            .filter(dedication_entry::Column::Month.is_in(months))
            .all(&self.d.db)
            .await?;
        let branches = self.reported_in_members(community_id).await?;
        let mut points: HashMap<i64, i32> = branches.keys().map(|m| (*m, 0)).collect();
        for e in entries {
            *points.entry(e.member_id).or_default() += e.points;
        }
        let mut standings: Vec<Standing> = points
            .into_iter()
            .map(|(member_id, points)| Standing {
                member_id,
                party_branch: branches.get(&member_id).cloned().unwrap_or_default(),
                points,
                rank: 0,
            })
            .collect();
        standings.sort_by(|a, b| b.points.cmp(&a.points).then(a.member_id.cmp(&b.member_id)));
        rank(&mut standings);
        Ok(standings)
    }

    /// The quarter's standings per party branch, with the nominations made so far.
    pub async fn award_ranking(
        self,
        actor: &Actor,
        community_id: i64,
        quarter: Quarter,
    ) -> DomainResult<Vec<(String, Vec<Standing>, Vec<Nomination>)>> {
        actor.require(&authority::AWARD_RANKING, community_id)?;
        let standings = self.standings(community_id, Period::Quarter(quarter)).await?;
        let nominations = self.nominations(community_id, quarter).await?;
        let mut branches: BTreeMap<String, (Vec<Standing>, Vec<Nomination>)> = BTreeMap::new();
        for s in standings {
            branches.entry(s.party_branch.clone()).or_default().0.push(s);
        }
        for n in nominations {
            branches.entry(n.party_branch.clone()).or_default().1.push(n);
        }
        Ok(branches
            .into_iter()
            .map(|(branch, (mut standings, nominations))| {
                rank(&mut standings);
                (branch, standings, nominations)
            })
            .collect())
    }

    async fn nominations(self, community_id: i64, quarter: Quarter) -> DomainResult<Vec<Nomination>> {
        Ok(award_nomination::Entity::find()
            .filter(award_nomination::Column::CommunityId.eq(community_id))
            .filter(award_nomination::Column::Quarter.eq(quarter.to_string()))
            .order_by_asc(award_nomination::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .collect())
    }

    /// Names a member for the quarter's Dedication Award (党员奉献奖): 1–3 per branch.
    pub async fn nominate_award(
        self,
        actor: &Actor,
        community_id: i64,
        quarter: Quarter,
        member_id: i64,
        citation: Option<String>,
    ) -> DomainResult<Nomination> {
        actor.require(&authority::NOMINATE_AWARD, community_id)?;
        actor.require_not_self_for(&authority::NOMINATE_AWARD, Some(member_id))?;
        let citation = crate::validate::optional_text("citation", citation, 500)?;
        let branches = self.reported_in_members(community_id).await?;
        let branch = branches
            .get(&member_id)
            .cloned()
            .ok_or_else(|| DomainError::bad_input("memberId", "only members who have reported in can be nominated"))?;
        let txn = sea_orm::TransactionTrait::begin(&self.d.db).await?;
        // Nominations in a community are made one at a time, so the limit
        // per branch holds when several are sent at once.
        crate::entities::community::Entity::find_by_id(community_id).lock_exclusive().one(&txn).await?;
        let already = award_nomination::Entity::find()
            .filter(award_nomination::Column::CommunityId.eq(community_id))
            .filter(award_nomination::Column::Quarter.eq(quarter.to_string()))
            .filter(award_nomination::Column::PartyBranch.eq(branch.clone()))
            .lock_exclusive()
            .all(&txn)
            .await?;
        if already.iter().any(|n| n.member_id == member_id) {
            return Err(DomainError::Conflict("this member is already nominated for the quarter".into()));
        }
        if already.len() >= MAX_NOMINEES_PER_BRANCH {
            return Err(DomainError::invalid_state(format!(
                "branch {branch} already has {MAX_NOMINEES_PER_BRANCH} nominees for {quarter}"
            )));
        }
        let row = award_nomination::ActiveModel {
            community_id: Set(community_id),
            party_branch: Set(branch),
            quarter: Set(quarter.to_string()),
            member_id: Set(member_id),
            citation: Set(citation),
            nominated_by: Set(actor.user_id),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_points_share_a_rank_and_the_next_rank_counts_everyone_above() {
        let mut standings: Vec<super::Standing> = [30, 20, 20, 10]
            .into_iter()
            .enumerate()
            .map(|(i, points)| super::Standing {
                member_id: i as i64, party_branch: "一支部".into(), points, rank: 0
            })
            .collect();
        super::rank(&mut standings);
        assert_eq!(standings.iter().map(|s| s.rank).collect::<Vec<_>>(), [1, 2, 2, 4]);
    }

    use super::*;

    fn m(year: i32, month: u32) -> Month {
        Month { year, month }
    }

    fn series(start: Month, scores: &[i32]) -> Vec<(Month, i32)> {
        let mut month = start;
        scores
            .iter()
            .map(|s| {
                let out = (month, *s);
                month = month.next();
                out
            })
            .collect()
    }

    #[test]
    fn exactly_eighty_for_three_months_is_a_run() {
        let s = series(m(2026, 1), &[80, 80, 80]);
        assert_eq!(qualifying_runs(&s, |x| x >= 80, 3), vec![(m(2026, 1), m(2026, 3))]);
    }

    #[test]
    fn seventy_nine_breaks_a_run() {
        let s = series(m(2026, 1), &[90, 79, 85, 85]);
        assert!(qualifying_runs(&s, |x| x >= 80, 3).is_empty());
    }

    #[test]
    fn a_long_run_counts_once_and_a_new_run_counts_again() {
        let s = series(m(2025, 11), &[85, 85, 85, 85, 85, 70, 81, 82, 83]);
        assert_eq!(qualifying_runs(&s, |x| x >= 80, 3), vec![(m(2025, 11), m(2026, 1)), (m(2026, 5), m(2026, 7))]);
    }

    #[test]
    fn fifty_nine_is_below_sixty_and_sixty_is_not() {
        let s = series(m(2026, 1), &[59, 59, 59, 60, 59, 59]);
        assert_eq!(qualifying_runs(&s, |x| x < 60, 3), vec![(m(2026, 1), m(2026, 3))]);
    }

    #[test]
    fn months_roll_over_years_and_quarters_cover_three_months() {
        assert_eq!(m(2026, 12).next(), m(2027, 1));
        assert_eq!(m(2027, 1).previous(), m(2026, 12));
        assert_eq!(m(2026, 11).quarter().to_string(), "2026Q4");
        assert_eq!(Quarter::parse("q", "2026q4").unwrap().months(), [m(2026, 10), m(2026, 11), m(2026, 12)]);
        assert_eq!(Month::parse("m", "2026-3").unwrap().to_string(), "2026-03");
        assert!(Month::parse("m", "2026-13").is_err());
    }

    #[test]
    fn months_are_shanghai_months() {
        // 2026-10-31 17:00 UTC is already November 1st in Shanghai.
        let at = DateTime::parse_from_rfc3339("2026-10-31T17:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(Month::of(at), m(2026, 11));
    }

    #[test]
    fn default_rules_are_valid_and_nonsense_is_refused() {
        assert!(DedicationRules::default().validate().is_ok());
        let bad = DedicationRules { run_months: 0, ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().code(), "BAD_USER_INPUT");
    }
}
