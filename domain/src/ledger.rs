//! The civility-points ledger (乡风文明积分): double entry, append-only.
//!
//! Every transfer writes entries that sum to zero, in one transaction, under
//! an idempotency key (a replay returns the original; the same key with
//! other content is `CONFLICT`). A debit is one conditional update on the
//! account's cached balance (`balance + amount >= 0`), so no balance goes
//! negative however many redemptions race. Mistakes are undone by a reversal
//! transfer that points at the original. Meal money in fen is a separate
//! currency in the same books and never mixes with points.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{civility_rules, ledger_account, ledger_entry, ledger_transfer};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::pagination::{Page, PageRequest};
use crate::rule_changes::RuleSet;
use crate::{idempotency, validate};

crate::area_service!(
    /// Civility points (乡风文明积分): the double-entry ledger, its rules, awards and reviews.
    Ledger
);

crate::string_enum!(AccountKind {
    /// A resident's points in one community.
    ResidentPoints,
    /// Where the community's points come from; the only account that may go negative.
    Issuing,
    /// Points reserved by pending redemptions.
    Holds,
    /// What the love supermarket has taken in.
    Supermarket,
    /// What the canteen has taken in (points for coupons; fen for meals).
    Canteen,
    /// Money paid in at the counter, cash or WeChat Pay: the outside world, so it may go negative.
    CounterPayments,
});

crate::string_enum!(Currency { Points, Fen });

crate::string_enum!(TransferKind {
    Award,
    Hold,
    Settle,
    Release,
    Reversal,
    /// Points spent on a canteen discount coupon.
    Coupon,
    /// Money paid for meals at the counter.
    Payment,
});

crate::string_enum!(TransferStatus {
    Posted,
    /// A large award waiting for the moral-review committee (道德评议委员会).
    PendingReview,
    Rejected,
});

/// Names an account: created on first use.
/// Awards to one person within this many days are added up against the
/// review size.
pub const REVIEW_WINDOW_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountRef {
    pub community_id: i64,
    pub kind: AccountKind,
    pub owner: Option<i64>,
    pub currency: Currency,
}

impl AccountRef {
    pub fn resident(community_id: i64, user_id: i64) -> Self {
        Self { community_id, kind: AccountKind::ResidentPoints, owner: Some(user_id), currency: Currency::Points }
    }

    pub fn community(community_id: i64, kind: AccountKind) -> Self {
        Self { community_id, kind, owner: None, currency: Currency::Points }
    }

    fn owner_key(&self) -> String {
        match self.owner {
            Some(u) => format!("user:{u}"),
            None => "community".into(),
        }
    }
}

impl TransferRequest {
    /// Meal money paid in (at the counter, or at the door for a lunchbox):
    /// fen from the outside world's counter-payments account into the canteen's.
    pub(crate) fn counter_payment(community_id: i64, key: String, reason: String, taken_by: i64, fen: i64) -> Self {
        let account = |kind| AccountRef { community_id, kind, owner: None, currency: Currency::Fen };
        Self {
            community_id,
            kind: TransferKind::Payment,
            key,
            reason,
            created_by: Some(taken_by),
            reverses: None,
            movements: vec![Movement {
                from: account(AccountKind::CounterPayments),
                to: account(AccountKind::Canteen),
                amount: fen,
            }],
            status: TransferStatus::Posted,
        }
    }
}

/// One movement of value inside a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub from: AccountRef,
    pub to: AccountRef,
    pub amount: i64,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct TransferRequest {
    pub community_id: i64,
    pub kind: TransferKind,
    /// Unique across the ledger; callers scope it (e.g. `award:<community>:<user>:<key>`).
    pub key: String,
    pub reason: String,
    pub created_by: Option<i64>,
    pub reverses: Option<i64>,
    pub movements: Vec<Movement>,
    /// Written with entries (`Posted`) or without, for review (`PendingReview`).
    pub status: TransferStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub id: i64,
    pub community_id: i64,
    pub kind: TransferKind,
    pub status: TransferStatus,
    pub reason: String,
    pub created_by: Option<i64>,
    pub reverses_id: Option<i64>,
    pub movements: Vec<Movement>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<ledger_transfer::Model> for Transfer {
    type Error = DomainError;
    fn try_from(m: ledger_transfer::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            kind: TransferKind::parse(&m.kind)?,
            status: TransferStatus::parse(&m.status)?,
            reason: m.reason,
            created_by: m.created_by,
            reverses_id: m.reverses_id,
            movements: serde_json::from_str(&m.details).map_err(DomainError::internal)?,
            created_at: m.created_at,
        })
    }
}

/// One line of an account statement.
#[derive(Clone, Debug)]
pub struct StatementLine {
    pub entry_id: i64,
    pub transfer_id: i64,
    pub amount: i64,
    pub reason: String,
    pub kind: TransferKind,
    pub counterparty: AccountKind,
    pub counterparty_user: Option<i64>,
    pub reverses_id: Option<i64>,
    /// The transfer that reversed this one, if any.
    pub reversed_by: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Consistency {
    pub entries_sum: i64,
    pub accounts_checked: u64,
    /// (account id, cached balance, sum of entries)
    pub mismatched_accounts: Vec<(i64, i64, i64)>,
    pub unbalanced_transfers: Vec<i64>,
}

impl Consistency {
    pub fn ok(&self) -> bool {
        self.entries_sum == 0 && self.mismatched_accounts.is_empty() && self.unbalanced_transfers.is_empty()
    }
}

/// A community's civility-point rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CivilityRules {
    /// Points for attending a cultural activity or an environment clean-up.
    pub points_per_activity: i64,
    /// Manual awards above this wait for the moral-review committee.
    pub review_above: i64,
    /// Hours a redemption holds points and stock before it lapses.
    pub redemption_hold_hours: i64,
    /// The community's scoring rules for mutual help: what a deed earns.
    pub mutual_help: Vec<MutualHelpRule>,
}

/// One mutual-help deed and the points it earns (互助积分).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutualHelpRule {
    /// A short stable code, e.g. `CARE_FOR_ELDER`.
    pub code: String,
    pub name: String,
    pub points: i64,
}

impl Default for CivilityRules {
    fn default() -> Self {
        let rule = |code: &str, name: &str, points| MutualHelpRule { code: code.into(), name: name.into(), points };
        Self {
            points_per_activity: 1,
            review_above: 20,
            redemption_hold_hours: 48,
            mutual_help: vec![
                rule("NEIGHBOUR_HELP", "邻里互助", 1),
                rule("CARE_FOR_ELDER", "照料孤寡老人", 2),
                rule("CHILD_CARE", "看护留守儿童", 2),
                rule("MEDIATION", "调解邻里纠纷", 3),
                rule("GOOD_DEED", "好人好事", 5),
            ],
        }
    }
}

fn check_mutual_help(rules: &[MutualHelpRule]) -> DomainResult<()> {
    let field = "mutualHelp";
    if rules.len() > 50 {
        return Err(DomainError::bad_input(field, "a community keeps at most 50 mutual-help rules"));
    }
    let code = regex::Regex::new("^[A-Z][A-Z0-9_]{1,31}$").map_err(DomainError::internal)?;
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if !code.is_match(&r.code) {
            return Err(DomainError::bad_input(
                field,
                format!("the code `{}` should be 2 to 32 capital letters, digits or _, e.g. CARE_FOR_ELDER", r.code),
            ));
        }
        if !seen.insert(r.code.as_str()) {
            return Err(DomainError::bad_input(field, format!("the code {} is used twice", r.code)));
        }
        validate::required_text(field, &r.name, 40)?;
        if !(1..=100).contains(&r.points) {
            return Err(DomainError::bad_input(field, format!("{} should earn 1 to 100 points", r.name)));
        }
    }
    Ok(())
}

pub(crate) async fn civility_rules_for<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<CivilityRules> {
    match civility_rules::Entity::find_by_id(community_id).one(conn).await? {
        Some(row) => serde_json::from_str(&row.rules).map_err(DomainError::internal),
        None => Ok(CivilityRules::default()),
    }
}

async fn account<C: ConnectionTrait>(
    conn: &C,
    r: &AccountRef,
    now: DateTime<Utc>,
) -> DomainResult<ledger_account::Model> {
    let find = || {
        ledger_account::Entity::find()
            .filter(ledger_account::Column::CommunityId.eq(r.community_id))
            .filter(ledger_account::Column::Kind.eq(r.kind.as_str()))
            .filter(ledger_account::Column::OwnerKey.eq(r.owner_key()))
            .filter(ledger_account::Column::Currency.eq(r.currency.as_str()))
    };
    if let Some(found) = find().one(conn).await? {
        return Ok(found);
    }
    let row = ledger_account::ActiveModel {
        community_id: Set(r.community_id),
        kind: Set(r.kind.as_str().into()),
        owner_key: Set(r.owner_key()),
        owner_user_id: Set(r.owner),
        currency: Set(r.currency.as_str().into()),
        balance: Set(0),
        allow_negative: Set(matches!(r.kind, AccountKind::Issuing | AccountKind::CounterPayments)),
        created_at: Set(now),
        ..Default::default()
    };
    ledger_account::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                ledger_account::Column::CommunityId,
                ledger_account::Column::Kind,
                ledger_account::Column::OwnerKey,
                ledger_account::Column::Currency,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    find().one(conn).await?.ok_or_else(|| DomainError::internal("ledger account vanished"))
}

/// Adds `delta` to the cached balance unless that would take a
/// non-negative account below zero. One statement: safe under concurrency.
async fn apply_delta<C: ConnectionTrait>(conn: &C, account_id: i64, delta: i64) -> DomainResult<()> {
    let updated = ledger_account::Entity::update_many()
        .col_expr(ledger_account::Column::Balance, Expr::col(ledger_account::Column::Balance).add(delta))
        .filter(ledger_account::Column::Id.eq(account_id))
        .filter(
            Condition::any()
                .add(ledger_account::Column::AllowNegative.eq(true))
                .add(Expr::col(ledger_account::Column::Balance).add(delta).gte(0)),
        )
        .exec(conn)
        .await?;
    if updated.rows_affected == 1 { Ok(()) } else { Err(DomainError::InsufficientPoints) }
}

/// Writes the entries of a transfer (both sides of every movement). Balances
/// change in account-id order, so two transfers touching the same accounts
/// in opposite directions never wait on each other (no deadlock).
async fn write_entries<C: ConnectionTrait>(
    conn: &C,
    transfer_id: i64,
    movements: &[Movement],
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let mut deltas: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    let mut lines = Vec::with_capacity(movements.len() * 2);
    for m in movements {
        if m.amount <= 0 || m.from.currency != m.to.currency {
            return Err(DomainError::internal("a movement must be positive and in one currency"));
        }
        let from = account(conn, &m.from, now).await?;
        let to = account(conn, &m.to, now).await?;
        *deltas.entry(from.id).or_default() -= m.amount;
        *deltas.entry(to.id).or_default() += m.amount;
        lines.push((from.id, to.id, -m.amount));
        lines.push((to.id, from.id, m.amount));
    }
    for (account_id, delta) in deltas {
        if delta != 0 {
            apply_delta(conn, account_id, delta).await?;
        }
    }
    for (account_id, counterparty, amount) in lines {
        ledger_entry::ActiveModel {
            transfer_id: Set(transfer_id),
            account_id: Set(account_id),
            counterparty_account_id: Set(counterparty),
            amount: Set(amount),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// How much a transfer moved (e.g. what a coupon cost when it was bought).
pub(crate) async fn transfer_amount<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<i64> {
    let row = ledger_transfer::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("transfer"))?;
    Ok(Transfer::try_from(row)?.movements.iter().map(|m| m.amount).sum())
}

/// The transfer an earlier request with this key made, if the content
/// matches; `CONFLICT` if the key was used for something else.
pub(crate) async fn replayed<C: ConnectionTrait>(conn: &C, req: &TransferRequest) -> DomainResult<Option<Transfer>> {
    let hash = idempotency::request_hash(&(req.kind, &req.reason, &req.movements, req.reverses))?;
    match ledger_transfer::Entity::find()
        .filter(ledger_transfer::Column::IdempotencyKey.eq(req.key.clone()))
        .one(conn)
        .await?
    {
        None => Ok(None),
        Some(row) if row.request_hash == hash => Ok(Some(row.try_into()?)),
        Some(_) => Err(DomainError::Conflict(
            "this idempotencyKey was already used for a different transfer; use a new key".into(),
        )),
    }
}

/// Records a transfer inside the caller's transaction. Callers check
/// [`replayed`] first; a concurrent duplicate surfaces as `CONFLICT` from the
/// unique key and is re-checked by the caller after rollback.
pub(crate) async fn post_in(
    txn: &DatabaseTransaction,
    req: &TransferRequest,
    now: DateTime<Utc>,
) -> DomainResult<Transfer> {
    let hash = idempotency::request_hash(&(req.kind, &req.reason, &req.movements, req.reverses))?;
    let row = ledger_transfer::ActiveModel {
        community_id: Set(req.community_id),
        kind: Set(req.kind.as_str().into()),
        status: Set(req.status.as_str().into()),
        idempotency_key: Set(req.key.clone()),
        request_hash: Set(hash),
        reason: Set(req.reason.clone()),
        created_by: Set(req.created_by),
        reverses_id: Set(req.reverses),
        details: Set(serde_json::to_string(&req.movements).map_err(DomainError::internal)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if req.status == TransferStatus::Posted {
        write_entries(txn, row.id, &req.movements, now).await?;
    }
    row.try_into()
}

impl Ledger<'_> {
    /// Posts a transfer on its own, idempotently.
    pub(crate) async fn transfer(self, req: TransferRequest) -> DomainResult<Transfer> {
        if let Some(done) = replayed(&self.d.db, &req).await? {
            return Ok(done);
        }
        let txn = self.d.db.begin().await?;
        match post_in(&txn, &req, self.d.clock.now()).await {
            Ok(t) => {
                txn.commit().await?;
                Ok(t)
            }
            Err(DomainError::Conflict(_)) => {
                // A concurrent retry with the same key won. Release our
                // connection before looking (SQLite has only one).
                txn.rollback().await?;
                replayed(&self.d.db, &req)
                    .await?
                    .ok_or_else(|| DomainError::Conflict("this transfer collided with another; try again".into()))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn rules(self, actor: &Actor, community_id: i64) -> DomainResult<CivilityRules> {
        actor.require_member(community_id)?;
        civility_rules_for(&self.d.db, community_id).await
    }

    pub async fn set_rules(
        self,
        actor: &Actor,
        community_id: i64,
        rules: CivilityRules,
    ) -> DomainResult<CivilityRules> {
        actor.require(&authority::SET_CIVILITY_RULES, community_id)?;
        if !(0..=100).contains(&rules.points_per_activity) {
            return Err(DomainError::bad_input("pointsPerActivity", "an activity earns 0 to 100 points"));
        }
        if !(0..=10_000).contains(&rules.review_above) {
            return Err(DomainError::bad_input("reviewAbove", "the review size is 0 to 10000 points"));
        }
        if !(1..=24 * 14).contains(&rules.redemption_hold_hours) {
            return Err(DomainError::bad_input("redemptionHoldHours", "a redemption is held 1 hour to 14 days"));
        }
        check_mutual_help(&rules.mutual_help)?;
        crate::rule_changes::save(self.d, actor, RuleSet::Civility, community_id, &rules).await?;
        Ok(rules)
    }

    /// A secretary awards points for mutual help or good deeds, with a reason.
    /// Awards above the community's review size wait for the committee.
    pub async fn award(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: i64,
        points: i64,
        reason: &str,
        idempotency_key: &str,
    ) -> DomainResult<Transfer> {
        actor.require(&authority::AWARD_CIVILITY_POINTS, community_id)?;
        actor.require_not_self_for(&authority::AWARD_CIVILITY_POINTS, Some(user_id))?;
        idempotency::check_key(idempotency_key)?;
        if !(1..=1000).contains(&points) {
            return Err(DomainError::bad_input("points", "an award is 1 to 1000 points"));
        }
        let reason = validate::required_text("reason", reason, 200)?;
        if !self.d.org().roles_of(&self.d.db, user_id, community_id).await?.contains(&Role::Resident) {
            return Err(DomainError::bad_input("userId", "civility points go to residents of the community"));
        }
        let rules = civility_rules_for(&self.d.db, community_id).await?;
        let status = self.award_status(community_id, user_id, points, &rules).await?;
        self.transfer(TransferRequest {
            community_id,
            kind: TransferKind::Award,
            key: format!("award:{community_id}:{}:{idempotency_key}", actor.user_id),
            reason,
            created_by: Some(actor.user_id),
            reverses: None,
            movements: vec![Movement {
                from: AccountRef::community(community_id, AccountKind::Issuing),
                to: AccountRef::resident(community_id, user_id),
                amount: points,
            }],
            status,
        })
        .await
    }

    /// An award waits for review when it, added to what the person was
    /// awarded (or is waiting for) in the last [`REVIEW_WINDOW_DAYS`] days,
    /// passes the review size: splitting an award does not skip the review.
    async fn award_status(
        self,
        community_id: i64,
        user_id: i64,
        points: i64,
        rules: &CivilityRules,
    ) -> DomainResult<TransferStatus> {
        let since = self.d.clock.now() - chrono::Duration::days(REVIEW_WINDOW_DAYS);
        let recent = ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::CommunityId.eq(community_id))
            .filter(ledger_transfer::Column::Kind.eq(TransferKind::Award.as_str()))
            .filter(
                ledger_transfer::Column::Status
                    .is_in([TransferStatus::Posted.as_str(), TransferStatus::PendingReview.as_str()]),
            )
            .filter(ledger_transfer::Column::CreatedAt.gte(since))
            .all(&self.d.db)
            .await?;
        let reversed: Vec<i64> = ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::ReversesId.is_in(recent.iter().map(|t| t.id)))
            .all(&self.d.db)
            .await?
            .into_iter()
            .filter_map(|t| t.reverses_id)
            .collect();
        let to = AccountRef::resident(community_id, user_id);
        let mut awarded = 0;
        for transfer in recent.into_iter().filter(|t| !reversed.contains(&t.id)) {
            let movements: Vec<Movement> = serde_json::from_str(&transfer.details).map_err(DomainError::internal)?;
            awarded += movements.iter().filter(|m| m.to == to).map(|m| m.amount).sum::<i64>();
        }
        Ok(if awarded + points > rules.review_above { TransferStatus::PendingReview } else { TransferStatus::Posted })
    }

    /// A grid worker or the secretary records a mutual-help deed under one of
    /// the community's rules; the rule sets the points. Like a manual award,
    /// one above the review size waits for the committee.
    pub async fn record_mutual_help(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: i64,
        rule_code: &str,
        note: &str,
        idempotency_key: &str,
    ) -> DomainResult<Transfer> {
        actor.require(&authority::RECORD_MUTUAL_HELP, community_id)?;
        idempotency::check_key(idempotency_key)?;
        let note = validate::required_text("note", note, 200)?;
        let rules = civility_rules_for(&self.d.db, community_id).await?;
        let Some(rule) = rules.mutual_help.iter().find(|r| r.code == rule_code) else {
            let known: Vec<&str> = rules.mutual_help.iter().map(|r| r.code.as_str()).collect();
            return Err(DomainError::bad_input(
                "ruleCode",
                format!("the community has no mutual-help rule {rule_code}; choose one of {}", known.join(", ")),
            ));
        };
        if user_id == actor.user_id {
            return Err(DomainError::bad_input("userId", "someone else records your own good deeds"));
        }
        if !self.d.org().roles_of(&self.d.db, user_id, community_id).await?.contains(&Role::Resident) {
            return Err(DomainError::bad_input("userId", "civility points go to residents of the community"));
        }
        let status = self.award_status(community_id, user_id, rule.points, &rules).await?;
        self.transfer(TransferRequest {
            community_id,
            kind: TransferKind::Award,
            key: format!("help:{community_id}:{}:{idempotency_key}", actor.user_id),
            reason: format!("{}：{note}", rule.name),
            created_by: Some(actor.user_id),
            reverses: None,
            movements: vec![Movement {
                from: AccountRef::community(community_id, AccountKind::Issuing),
                to: AccountRef::resident(community_id, user_id),
                amount: rule.points,
            }],
            status,
        })
        .await
    }

    /// The moral-review committee (道德评议委员会) decides a large award. The
    /// secretary or a grid worker decides; never the person who made it.
    pub async fn review_award(self, actor: &Actor, transfer_id: i64, approve: bool) -> DomainResult<Transfer> {
        let row = in_reach::<ledger_transfer::Entity>(&self.d.db, actor, transfer_id, "award").await?;
        actor.require(&authority::REVIEW_CIVILITY_AWARD, row.community_id)?;
        actor.require_not_self_for(&authority::REVIEW_CIVILITY_AWARD, row.created_by)?;
        let transfer = Transfer::try_from(row)?;
        let to = if approve { TransferStatus::Posted } else { TransferStatus::Rejected };
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let decided = ledger_transfer::Entity::update_many()
            .col_expr(ledger_transfer::Column::Status, Expr::value(to.as_str()))
            .col_expr(ledger_transfer::Column::ReviewedBy, Expr::value(actor.user_id))
            .col_expr(ledger_transfer::Column::ReviewedAt, Expr::value(now))
            .filter(ledger_transfer::Column::Id.eq(transfer_id))
            .filter(ledger_transfer::Column::Status.eq(TransferStatus::PendingReview.as_str()))
            .exec(&txn)
            .await?;
        if decided.rows_affected == 0 {
            return Err(DomainError::invalid_state("this award is not waiting for review"));
        }
        if approve {
            write_entries(&txn, transfer_id, &transfer.movements, now).await?;
        }
        txn.commit().await?;
        Ok(Transfer { status: to, ..transfer })
    }

    pub async fn pending_awards(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Transfer>> {
        actor.require(&authority::PENDING_CIVILITY_AWARDS, community_id)?;
        ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::CommunityId.eq(community_id))
            .filter(ledger_transfer::Column::Status.eq(TransferStatus::PendingReview.as_str()))
            .order_by_asc(ledger_transfer::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Transfer::try_from)
            .collect()
    }

    /// Undoes a posted transfer with one that points at it (once).
    pub async fn reverse_transfer(self, actor: &Actor, transfer_id: i64, reason: &str) -> DomainResult<Transfer> {
        let row = in_reach::<ledger_transfer::Entity>(&self.d.db, actor, transfer_id, "transfer").await?;
        actor.require(&authority::REVERSE_TRANSFER, row.community_id)?;
        let original = Transfer::try_from(row)?;
        if original.status != TransferStatus::Posted {
            return Err(DomainError::invalid_state("only posted transfers can be reversed"));
        }
        if original.kind == TransferKind::Reversal {
            return Err(DomainError::invalid_state("a reversal cannot itself be reversed; make a new transfer"));
        }
        if original.kind != TransferKind::Award {
            // Holds, pickups, coupons and payments are undone by their own
            // workflow (cancel the redemption or the booking), which keeps
            // the goods and the bookings in step with the points.
            return Err(DomainError::invalid_state(
                "only awards are reversed here; cancel the redemption or the booking instead",
            ));
        }
        let reason = validate::required_text("reason", reason, 200)?;
        let already_reversed = || DomainError::Conflict("this transfer has already been reversed".into());
        let request = TransferRequest {
            community_id: original.community_id,
            kind: TransferKind::Reversal,
            // Unique: a transfer is reversed once, whoever asks and however often.
            key: format!("reversal:{transfer_id}"),
            reason,
            created_by: Some(actor.user_id),
            reverses: Some(transfer_id),
            movements: original
                .movements
                .iter()
                .map(|m| Movement { from: m.to, to: m.from, amount: m.amount })
                .collect(),
            status: TransferStatus::Posted,
        };
        let exists = ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::IdempotencyKey.eq(request.key.clone()))
            .one(&self.d.db)
            .await?;
        if exists.is_some() {
            return Err(already_reversed());
        }
        let txn = self.d.db.begin().await?;
        match post_in(&txn, &request, self.d.clock.now()).await {
            Ok(t) => {
                txn.commit().await?;
                Ok(t)
            }
            Err(DomainError::Conflict(_)) => {
                txn.rollback().await?;
                Err(already_reversed())
            }
            Err(e) => Err(e),
        }
    }

    /// A resident's points (their own; staff may look at anyone's), newest first.
    pub async fn account(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: Option<i64>,
        page: PageRequest,
    ) -> DomainResult<(i64, Page<StatementLine>)> {
        actor.require_member(community_id)?;
        let user_id = user_id.unwrap_or(actor.user_id);
        actor.require_theirs_or(&authority::CIVILITY_ACCOUNT, community_id, user_id == actor.user_id)?;
        let r = AccountRef::resident(community_id, user_id);
        let Some(acct) = ledger_account::Entity::find()
            .filter(ledger_account::Column::CommunityId.eq(community_id))
            .filter(ledger_account::Column::Kind.eq(r.kind.as_str()))
            .filter(ledger_account::Column::OwnerKey.eq(r.owner_key()))
            .filter(ledger_account::Column::Currency.eq(r.currency.as_str()))
            .one(&self.d.db)
            .await?
        else {
            return Ok((0, Page { items: vec![], has_next_page: false, has_previous_page: false, total_count: 0 }));
        };
        let total_count =
            ledger_entry::Entity::find().filter(ledger_entry::Column::AccountId.eq(acct.id)).count(&self.d.db).await?;
        let mut query = ledger_entry::Entity::find().filter(ledger_entry::Column::AccountId.eq(acct.id));
        if let Some(after) = page.after {
            query = query.filter(ledger_entry::Column::Id.lt(after));
        }
        let mut entries = query.order_by_desc(ledger_entry::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = entries.len() as u64 > page.first;
        entries.truncate(page.first as usize);
        let transfer_ids: Vec<i64> = entries.iter().map(|e| e.transfer_id).collect();
        let transfers = crate::rows::by_ids::<ledger_transfer::Entity>(&self.d.db, transfer_ids.clone()).await?;
        let reversals: HashMap<i64, i64> = ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::ReversesId.is_in(transfer_ids))
            .all(&self.d.db)
            .await?
            .into_iter()
            .filter_map(|t| t.reverses_id.map(|orig| (orig, t.id)))
            .collect();
        let counterparties = crate::rows::by_ids::<ledger_account::Entity>(
            &self.d.db,
            entries.iter().map(|e| e.counterparty_account_id),
        )
        .await?;
        let items = entries
            .into_iter()
            .map(|e| {
                let t = transfers.get(&e.transfer_id).ok_or_else(|| DomainError::internal("entry without transfer"))?;
                let other = counterparties
                    .get(&e.counterparty_account_id)
                    .ok_or_else(|| DomainError::internal("entry without counterparty"))?;
                Ok(StatementLine {
                    entry_id: e.id,
                    transfer_id: e.transfer_id,
                    amount: e.amount,
                    reason: t.reason.clone(),
                    kind: TransferKind::parse(&t.kind)?,
                    counterparty: AccountKind::parse(&other.kind)?,
                    counterparty_user: other.owner_user_id,
                    reverses_id: t.reverses_id,
                    reversed_by: reversals.get(&t.id).copied(),
                    at: e.created_at,
                })
            })
            .collect::<DomainResult<Vec<_>>>()?;
        Ok((acct.balance, Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count }))
    }

    /// The books balance: every entry sums to zero, every transfer sums to
    /// zero, every cached balance equals its entries. `community_id` limits
    /// the account check to one community (for its secretary); `None` checks all.
    pub async fn consistency(self, community_id: Option<i64>) -> DomainResult<Consistency> {
        let mut accounts = ledger_account::Entity::find();
        if let Some(c) = community_id {
            accounts = accounts.filter(ledger_account::Column::CommunityId.eq(c));
        }
        let accounts = accounts.all(&self.d.db).await?;
        let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
        let entries =
            ledger_entry::Entity::find().filter(ledger_entry::Column::AccountId.is_in(ids)).all(&self.d.db).await?;
        let mut by_account: HashMap<i64, i64> = HashMap::new();
        let mut by_transfer: HashMap<i64, i64> = HashMap::new();
        let mut entries_sum = 0i64;
        for e in &entries {
            *by_account.entry(e.account_id).or_default() += e.amount;
            *by_transfer.entry(e.transfer_id).or_default() += e.amount;
            entries_sum += e.amount;
        }
        let mismatched_accounts = accounts
            .iter()
            .filter_map(|a| {
                let sum = by_account.get(&a.id).copied().unwrap_or(0);
                (sum != a.balance).then_some((a.id, a.balance, sum))
            })
            .collect();
        let mut unbalanced_transfers: Vec<i64> =
            by_transfer.into_iter().filter(|(_, s)| *s != 0).map(|(t, _)| t).collect();
        unbalanced_transfers.sort();
        Ok(Consistency {
            entries_sum,
            accounts_checked: accounts.len() as u64,
            mismatched_accounts,
            unbalanced_transfers,
        })
    }

    /// The consistency check for a community's secretary.
    pub async fn community_consistency(self, actor: &Actor, community_id: i64) -> DomainResult<Consistency> {
        actor.require(&authority::LEDGER_CONSISTENCY, community_id)?;
        self.consistency(Some(community_id)).await
    }
}
