//! Subscription messages: what the user allowed in `wx.requestSubscribeMessage`.

use async_graphql::{Context, Object, Result, SimpleObject};

use domain::push as d;

use super::enums::graphql_enum;
use super::{OrGql, actor, domain};

#[derive(Default)]
pub struct PushQuery;

#[derive(Default)]
pub struct PushMutation;

graphql_enum!(
    /// A kind of subscription message; each is one WeChat template.
    PushKind = domain::push::PushKind {
        OrderClaimed: "To whoever placed an order: a member took it.",
        OrderCompleted: "To whoever placed an order: the work is reported done, please check.",
        OrderRate: "To whoever placed an order: approved, please rate it.",
        PoolNewOrder: "To party members and volunteers: a new order in the community's pool.",
        Alarm: "Care and lunchbox alarms, escalations and other notices.",
    }
);

/// How many more messages of one kind WeChat will let us send you.
#[derive(SimpleObject)]
pub struct PushGrant {
    pub kind: PushKind,
    pub remaining: i32,
}

fn grants(list: Vec<d::PushGrant>) -> Vec<PushGrant> {
    list.into_iter().map(|g| PushGrant { kind: g.kind.into(), remaining: g.remaining }).collect()
}

#[Object]
impl PushQuery {
    /// Your remaining one-time subscriptions, one entry per kind.
    async fn my_push_grants(&self, ctx: &Context<'_>) -> Result<Vec<PushGrant>> {
        let actor = actor(ctx).await?;
        domain(ctx).push().grants(actor).await.map(grants).gql()
    }
}

#[Object]
impl PushMutation {
    /// Records the templates you allowed in `wx.requestSubscribeMessage`
    /// (send only the kinds whose answer was `accept`): one more message of
    /// each kind may be sent to you. Returns your grants after.
    async fn accept_subscriptions(&self, ctx: &Context<'_>, kinds: Vec<PushKind>) -> Result<Vec<PushGrant>> {
        let actor = actor(ctx).await?;
        let kinds: Vec<d::PushKind> = kinds.into_iter().map(Into::into).collect();
        domain(ctx).push().accept_subscriptions(actor, &kinds).await.map(grants).gql()
    }
}
