//! Civility points (乡风文明积分) and the love supermarket (爱心超市).

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::ledger as l;
use domain::supermarket as s;

use super::enums::graphql_enum;
use super::org::{Person, people};
use super::pages::{Counted, actor_and_page, page_to_connection};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct LedgerQuery;

#[derive(Default)]
pub struct LedgerMutation;

graphql_enum!(AccountKind = domain::ledger::AccountKind);

graphql_enum!(
    /// Which of a community's points rules changed.
    RuleSet = domain::rule_changes::RuleSet {
        Civility: "The civility point rules (activities, mutual help, the review size, redemption holds).",
        Dedication: "The party members' dedication point rules.",
    }
);

/// One change to a community's points rules: what they were and became, by
/// whom and when. A change applies to what is awarded after it.
pub struct RuleChange(domain::rule_changes::RuleChange);

#[Object]
impl RuleChange {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn rules(&self) -> Result<RuleSet> {
        Ok(domain::rule_changes::RuleSet::parse(&self.0.rules).gql()?.into())
    }

    /// The rules before, as JSON; null when the community had the defaults.
    async fn before(&self) -> Option<&str> {
        self.0.before.as_deref()
    }

    /// The rules after, as JSON.
    async fn after(&self) -> &str {
        &self.0.after
    }

    async fn changed_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        super::org::person(ctx, Some(self.0.changed_by)).await
    }

    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}

graphql_enum!(TransferKind = domain::ledger::TransferKind);

graphql_enum!(TransferStatus = domain::ledger::TransferStatus);

graphql_enum!(RedemptionStatus = domain::supermarket::RedemptionStatus);

/// One line of a points statement.
#[derive(SimpleObject, Clone)]
pub struct CivilityEntry {
    id: ID,
    transfer_id: ID,
    /// Positive when points came in, negative when they went out.
    amount: i64,
    reason: String,
    kind: TransferKind,
    /// Where the points came from or went to.
    counterparty: AccountKind,
    counterparty_user_id: Option<ID>,
    /// For a reversal: the transfer it undoes.
    reverses_transfer_id: Option<ID>,
    /// The reversal that undid this transfer, if any.
    reversed_by_transfer_id: Option<ID>,
    at: DateTime<Utc>,
}

impl From<l::StatementLine> for CivilityEntry {
    fn from(e: l::StatementLine) -> Self {
        Self {
            id: e.entry_id.into(),
            transfer_id: e.transfer_id.into(),
            amount: e.amount,
            reason: e.reason,
            kind: e.kind.into(),
            counterparty: e.counterparty.into(),
            counterparty_user_id: e.counterparty_user.map(Into::into),
            reverses_transfer_id: e.reverses_id.map(Into::into),
            reversed_by_transfer_id: e.reversed_by.map(Into::into),
            at: e.at,
        }
    }
}

/// A resident's civility points: the balance is the sum of the entries.
#[derive(SimpleObject)]
pub struct CivilityAccount {
    user_id: ID,
    balance: i64,
    entries: Connection<String, CivilityEntry, Counted>,
}

#[derive(SimpleObject)]
pub struct Transfer {
    id: ID,
    kind: TransferKind,
    status: TransferStatus,
    reason: String,
    /// Points moved (the sum of the movements).
    amount: i64,
    /// The resident the points went to or came from, if one did.
    resident: Option<Person>,
    created_by: Option<Person>,
    reverses_transfer_id: Option<ID>,
    created_at: DateTime<Utc>,
}

/// The resident whose points a transfer moves, if any.
fn resident_of(t: &l::Transfer) -> Option<i64> {
    t.movements.iter().find_map(|m| {
        [m.to, m.from].into_iter().find(|a| a.kind == l::AccountKind::ResidentPoints).and_then(|a| a.owner)
    })
}

async fn transfers_out(ctx: &Context<'_>, list: Vec<l::Transfer>) -> Result<Vec<Transfer>> {
    let ids: Vec<i64> = list.iter().flat_map(|t| [resident_of(t), t.created_by]).flatten().collect();
    let names = people(ctx, ids).await?;
    Ok(list
        .into_iter()
        .map(|t| Transfer {
            id: t.id.into(),
            kind: t.kind.into(),
            status: t.status.into(),
            reason: t.reason.clone(),
            amount: t.movements.iter().map(|m| m.amount).sum(),
            resident: resident_of(&t).and_then(|u| names.get(&u).cloned()),
            created_by: t.created_by.and_then(|u| names.get(&u).cloned()),
            reverses_transfer_id: t.reverses_id.map(Into::into),
            created_at: t.created_at,
        })
        .collect())
}

async fn transfer_out(ctx: &Context<'_>, t: l::Transfer) -> Result<Transfer> {
    Ok(transfers_out(ctx, vec![t]).await?.remove(0))
}

#[derive(SimpleObject)]
pub struct LedgerConsistency {
    ok: bool,
    /// Must be 0.
    entries_sum: i64,
    accounts_checked: u64,
    /// Accounts whose cached balance differs from their entries.
    mismatched_account_ids: Vec<ID>,
    /// Transfers whose entries do not sum to zero.
    unbalanced_transfer_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct CivilityRules {
    points_per_activity: i64,
    review_above: i64,
    redemption_hold_hours: i64,
    /// What each kind of mutual help earns (互助积分).
    mutual_help: Vec<MutualHelpRule>,
}

/// One mutual-help deed and its points.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "MutualHelpRuleInput")]
pub struct MutualHelpRule {
    /// A short stable code, e.g. `CARE_FOR_ELDER`.
    code: String,
    name: String,
    points: i64,
}

#[derive(InputObject)]
pub struct CivilityRulesInput {
    points_per_activity: Option<i64>,
    review_above: Option<i64>,
    redemption_hold_hours: Option<i64>,
    /// Replaces the whole list when given.
    mutual_help: Option<Vec<MutualHelpRule>>,
}

#[derive(SimpleObject)]
pub struct SupermarketItem {
    id: ID,
    name: String,
    price_points: i32,
    stock: i32,
    /// Held by pending redemptions.
    reserved: i32,
    available: i32,
    retired: bool,
}

impl From<s::Item> for SupermarketItem {
    fn from(i: s::Item) -> Self {
        Self {
            id: i.id.into(),
            available: i.available(),
            name: i.name,
            price_points: i.price_points,
            stock: i.stock,
            reserved: i.reserved,
            retired: i.retired,
        }
    }
}

#[derive(SimpleObject)]
pub struct Redemption {
    id: ID,
    item_id: ID,
    user_id: ID,
    quantity: i32,
    points: i64,
    status: RedemptionStatus,
    /// Shown at the counter.
    pickup_code: String,
    expires_at: DateTime<Utc>,
    settled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<s::Redemption> for Redemption {
    fn from(r: s::Redemption) -> Self {
        Self {
            id: r.id.into(),
            item_id: r.item_id.into(),
            user_id: r.user_id.into(),
            quantity: r.quantity,
            points: r.points,
            status: r.status.into(),
            pickup_code: r.pickup_code,
            expires_at: r.expires_at,
            settled_at: r.settled_at,
            created_at: r.created_at,
        }
    }
}

fn rules_out(r: l::CivilityRules) -> CivilityRules {
    CivilityRules {
        points_per_activity: r.points_per_activity,
        review_above: r.review_above,
        redemption_hold_hours: r.redemption_hold_hours,
        mutual_help: r
            .mutual_help
            .into_iter()
            .map(|m| MutualHelpRule { code: m.code, name: m.name, points: m.points })
            .collect(),
    }
}

#[Object]
impl LedgerQuery {
    /// A resident's civility points and statement, newest first. `userId`
    /// defaults to you; the community's staff may look at anyone's.
    async fn civility_account(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        user_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CivilityAccount> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let user = user_id.as_ref().map(|u| parse_id(u, "user")).transpose()?;
        let (balance, lines) =
            domain(ctx).ledger().account(actor, parse_id(&community_id, "community")?, user, page).await.gql()?;
        Ok(CivilityAccount {
            user_id: user.unwrap_or(actor.user_id).into(),
            balance,
            entries: page_to_connection(lines, |l| l.entry_id, CivilityEntry::from),
        })
    }

    async fn civility_rules(&self, ctx: &Context<'_>, community_id: ID) -> Result<CivilityRules> {
        let actor = actor(ctx).await?;
        domain(ctx).ledger().rules(actor, parse_id(&community_id, "community")?).await.map(rules_out).gql()
    }

    /// Every change to the community's points rules, newest first (the
    /// secretary and the street).
    async fn rule_changes(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<RuleChange>> {
        let actor = actor(ctx).await?;
        let changes = domain(ctx).rule_changes().list(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(changes.into_iter().map(RuleChange).collect())
    }

    /// Large awards waiting for the moral-review committee.
    async fn pending_civility_awards(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<Transfer>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).ledger().pending_awards(actor, parse_id(&community_id, "community")?).await.gql()?;
        transfers_out(ctx, list).await
    }

    /// The books balance: entries sum to zero, cached balances equal their entries (secretary).
    async fn ledger_consistency(&self, ctx: &Context<'_>, community_id: ID) -> Result<LedgerConsistency> {
        let actor = actor(ctx).await?;
        let c = domain(ctx).ledger().community_consistency(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(LedgerConsistency {
            ok: c.ok(),
            entries_sum: c.entries_sum,
            accounts_checked: c.accounts_checked,
            mismatched_account_ids: c.mismatched_accounts.iter().map(|(id, _, _)| (*id).into()).collect(),
            unbalanced_transfer_ids: c.unbalanced_transfers.iter().map(|id| (*id).into()).collect(),
        })
    }

    async fn supermarket_items(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<SupermarketItem>> {
        let actor = actor(ctx).await?;
        let items = domain(ctx).supermarket().items(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(items.into_iter().map(Into::into).collect())
    }

    /// Your redemptions; the community's for its operators.
    async fn redemptions(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        status: Option<RedemptionStatus>,
    ) -> Result<Vec<Redemption>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx)
            .supermarket()
            .redemptions(actor, parse_id(&community_id, "community")?, status.map(Into::into))
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl LedgerMutation {
    /// The secretary awards points with a reason; awards above `reviewAbove`
    /// wait for the committee. The key makes a retry safe.
    async fn award_civility_points(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        user_id: ID,
        points: i64,
        reason: String,
        idempotency_key: String,
    ) -> Result<Transfer> {
        let actor = actor(ctx).await?;
        let t = domain(ctx)
            .ledger()
            .award(
                actor,
                parse_id(&community_id, "community")?,
                parse_id(&user_id, "user")?,
                points,
                &reason,
                &idempotency_key,
            )
            .await
            .gql()?;
        transfer_out(ctx, t).await
    }

    /// A grid worker or the secretary records a resident's mutual help under
    /// one of the community's rules (`civilityRules.mutualHelp`), which sets the points.
    async fn record_mutual_help(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        user_id: ID,
        rule_code: String,
        note: String,
        idempotency_key: String,
    ) -> Result<Transfer> {
        let actor = actor(ctx).await?;
        let t = domain(ctx)
            .ledger()
            .record_mutual_help(
                actor,
                parse_id(&community_id, "community")?,
                parse_id(&user_id, "user")?,
                &rule_code,
                &note,
                &idempotency_key,
            )
            .await
            .gql()?;
        transfer_out(ctx, t).await
    }

    /// The moral-review committee approves or rejects a large award.
    async fn review_civility_award(&self, ctx: &Context<'_>, transfer_id: ID, approve: bool) -> Result<Transfer> {
        let actor = actor(ctx).await?;
        let t = domain(ctx).ledger().review_award(actor, parse_id(&transfer_id, "award")?, approve).await.gql()?;
        transfer_out(ctx, t).await
    }

    /// Undoes a transfer with a reversal that points at it (secretary).
    async fn reverse_transfer(&self, ctx: &Context<'_>, transfer_id: ID, reason: String) -> Result<Transfer> {
        let actor = actor(ctx).await?;
        let t =
            domain(ctx).ledger().reverse_transfer(actor, parse_id(&transfer_id, "transfer")?, &reason).await.gql()?;
        transfer_out(ctx, t).await
    }

    async fn set_civility_rules(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        rules: CivilityRulesInput,
    ) -> Result<CivilityRules> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let mut current = domain(ctx).ledger().rules(actor, c).await.gql()?;
        if let Some(v) = rules.points_per_activity {
            current.points_per_activity = v;
        }
        if let Some(v) = rules.review_above {
            current.review_above = v;
        }
        if let Some(v) = rules.redemption_hold_hours {
            current.redemption_hold_hours = v;
        }
        if let Some(list) = rules.mutual_help {
            current.mutual_help =
                list.into_iter().map(|m| l::MutualHelpRule { code: m.code, name: m.name, points: m.points }).collect();
        }
        domain(ctx).ledger().set_rules(actor, c, current).await.map(rules_out).gql()
    }

    async fn create_supermarket_item(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        name: String,
        price_points: i32,
        stock: i32,
    ) -> Result<SupermarketItem> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .supermarket()
            .create_item(actor, parse_id(&community_id, "community")?, &name, price_points, stock)
            .await
            .map(Into::into)
            .gql()
    }

    async fn restock_supermarket_item(&self, ctx: &Context<'_>, item_id: ID, quantity: i32) -> Result<SupermarketItem> {
        let actor = actor(ctx).await?;
        domain(ctx).supermarket().restock_item(actor, parse_id(&item_id, "item")?, quantity).await.map(Into::into).gql()
    }

    async fn retire_supermarket_item(&self, ctx: &Context<'_>, item_id: ID) -> Result<SupermarketItem> {
        let actor = actor(ctx).await?;
        domain(ctx).supermarket().retire_item(actor, parse_id(&item_id, "item")?).await.map(Into::into).gql()
    }

    /// Reserves the points and the goods; show `pickupCode` at the counter.
    /// Not enough points: `INSUFFICIENT_POINTS`; not enough stock: `CONFLICT`.
    async fn redeem_item(
        &self,
        ctx: &Context<'_>,
        item_id: ID,
        quantity: i32,
        idempotency_key: String,
    ) -> Result<Redemption> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .supermarket()
            .redeem(actor, parse_id(&item_id, "item")?, quantity, &idempotency_key)
            .await
            .map(Into::into)
            .gql()
    }

    /// The operator hands the goods over.
    async fn confirm_pickup(&self, ctx: &Context<'_>, pickup_code: String) -> Result<Redemption> {
        let actor = actor(ctx).await?;
        domain(ctx).supermarket().confirm_pickup(actor, &pickup_code).await.map(Into::into).gql()
    }

    /// Cancels a pending redemption; the points and goods are released.
    async fn cancel_redemption(&self, ctx: &Context<'_>, redemption_id: ID) -> Result<Redemption> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .supermarket()
            .cancel_redemption(actor, parse_id(&redemption_id, "redemption")?)
            .await
            .map(Into::into)
            .gql()
    }
}
