//! Elderly-care requests. Each is an order underneath (`order`), claimed,
//! completed, approved and rated with the order mutations and the same id.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::care as d;

use super::enums::graphql_enum;
use super::orders::Order;
use super::org::{Person, person};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct CareRequestQuery;

#[derive(Default)]
pub struct CareRequestMutation;

graphql_enum!(
    CareKind = domain::care::CareKind {
        CashHelp: "Help drawing cash at the proxy bank counter.",
        Alarm: "Raised by a wristband (not filed by hand).",
    }
);

graphql_enum!(CareFiledAs = domain::care::FiledAs);

/// The two-person record of cash handed to an elder. No card or PIN is ever kept.
#[derive(SimpleObject)]
pub struct CashHandover {
    amount_fen: i64,
    handed_by: Option<Person>,
    handed_at: Option<DateTime<Utc>>,
    /// The receipt photo: a signed link that works for about an hour.
    receipt_url: Option<String>,
    confirmed_by: Option<Person>,
    confirmed_at: Option<DateTime<Utc>>,
}

pub struct CareRequest(d::CareRequest);

#[Object]
impl CareRequest {
    /// The same id as its order.
    async fn id(&self) -> ID {
        self.0.order.id.into()
    }

    /// Status, deadlines, claimant, contact (masked as for any order), history.
    async fn order(&self) -> Order {
        Order(self.0.order.clone())
    }

    async fn kind(&self) -> CareKind {
        self.0.kind.into()
    }

    async fn urgent(&self) -> bool {
        self.0.urgent
    }

    async fn elder(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.elder_id)).await
    }

    async fn filed_as(&self) -> CareFiledAs {
        self.0.filed_as.into()
    }

    async fn cash(&self, ctx: &Context<'_>) -> Result<Option<CashHandover>> {
        let Some(c) = &self.0.cash else { return Ok(None) };
        Ok(Some(CashHandover {
            amount_fen: c.amount_fen,
            handed_by: person(ctx, c.handed_by).await?,
            handed_at: c.handed_at,
            receipt_url: c.receipt_url.as_deref().map(|u| domain(ctx).uploads().signed(u)),
            confirmed_by: person(ctx, c.confirmed_by).await?,
            confirmed_at: c.confirmed_at,
        }))
    }

    /// For alarms: the wristband, how many alarms joined, the latest.
    async fn device_id(&self) -> Option<&str> {
        self.0.device_id.as_deref()
    }

    async fn alarm_count(&self) -> i32 {
        self.0.alarm_count
    }

    async fn last_alarm_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_alarm_at
    }

    /// Where the latest alarm was raised, as the device platform reported it
    /// (an address, coordinates). In full for the elder, the helper while the
    /// request is theirs, the community's grid workers and secretaries and the
    /// elder's household lead (each read is logged); cut to the place, with
    /// no house and no coordinates, for everyone else. Never copied into the
    /// order's description or history.
    async fn alarm_location(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        domain(ctx).care().alarm_location(actor(ctx).await?, &self.0).await.gql()
    }

    /// When the secretary was alerted because nobody claimed it in time.
    async fn escalated_at(&self) -> Option<DateTime<Utc>> {
        self.0.escalated_at
    }
}

#[derive(InputObject)]
pub struct FileCareRequestInput {
    community_id: ID,
    /// The elder it is for; leave out to file for yourself.
    elder_id: Option<ID>,
    kind: CareKind,
    /// At most 100 characters.
    title: String,
    /// At most 2000 characters.
    description: String,
    /// Urgent requests skip triage and go to helpers at once.
    #[graphql(default)]
    urgent: bool,
    /// Help drawing cash: the amount in fen (100 to 500000).
    cash_amount_fen: Option<i64>,
    /// Default to the elder's on file.
    address: Option<String>,
    contact_phone: Option<String>,
    /// Send the same key when retrying: the request is filed once.
    idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct Wristband {
    device_id: String,
    resident: Option<Person>,
    registered_by: Option<Person>,
    created_at: DateTime<Utc>,
}

#[Object]
impl CareRequestQuery {
    async fn care_request(&self, ctx: &Context<'_>, id: ID) -> Result<CareRequest> {
        let actor = actor(ctx).await?;
        domain(ctx).care().request(actor, parse_id(&id, "care request")?).await.map(CareRequest).gql()
    }

    /// The community's care requests for helpers and staff: urgent first, then newest.
    async fn care_requests(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        #[graphql(default)] open_only: bool,
    ) -> Result<Vec<CareRequest>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).care().requests(actor, parse_id(&community_id, "community")?, open_only).await.gql()?;
        Ok(list.into_iter().map(CareRequest).collect())
    }

    /// Requests for me, or that I filed for someone.
    async fn my_care_requests(&self, ctx: &Context<'_>) -> Result<Vec<CareRequest>> {
        let actor = actor(ctx).await?;
        Ok(domain(ctx).care().my_requests(actor).await.gql()?.into_iter().map(CareRequest).collect())
    }
}

#[Object]
impl CareRequestMutation {
    /// Files a care request as the elder, or for an elder as their grid worker or the secretary.
    async fn file_care_request(&self, ctx: &Context<'_>, input: FileCareRequestInput) -> Result<CareRequest> {
        let actor = actor(ctx).await?;
        let file = d::FileCareRequest {
            community_id: parse_id(&input.community_id, "community")?,
            elder_id: input.elder_id.as_ref().map(|e| parse_id(e, "elder")).transpose()?,
            kind: input.kind.into(),
            title: input.title,
            description: input.description,
            urgent: input.urgent,
            cash_amount_fen: input.cash_amount_fen,
            address: input.address,
            contact_phone: input.contact_phone,
        };
        domain(ctx).care().file_request(actor, file, input.idempotency_key.as_deref()).await.map(CareRequest).gql()
    }

    /// The helper who claimed a cash request records the hand-over with a receipt photo.
    async fn record_cash_handover(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        receipt_url: String,
    ) -> Result<CareRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&request_id, "care request")?;
        domain(ctx).care().record_cash_handover(actor, id, &receipt_url).await.map(CareRequest).gql()
    }

    /// The elder, or a grid worker or secretary as witness, confirms receiving the cash.
    async fn confirm_cash_received(&self, ctx: &Context<'_>, request_id: ID) -> Result<CareRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&request_id, "care request")?;
        domain(ctx).care().confirm_cash_received(actor, id).await.map(CareRequest).gql()
    }

    /// A secretary or grid worker binds a wristband to a resident of their community.
    async fn register_wristband(&self, ctx: &Context<'_>, resident_id: ID, device_id: String) -> Result<Wristband> {
        let actor = actor(ctx).await?;
        let w = domain(ctx)
            .care()
            .register_wristband(actor, parse_id(&resident_id, "resident")?, &device_id)
            .await
            .gql()?;
        Ok(Wristband {
            resident: person(ctx, Some(w.resident_id)).await?,
            registered_by: person(ctx, Some(w.registered_by)).await?,
            device_id: w.device_id,
            created_at: w.created_at,
        })
    }

    async fn unregister_wristband(&self, ctx: &Context<'_>, device_id: String) -> Result<bool> {
        let actor = actor(ctx).await?;
        domain(ctx).care().unregister_wristband(actor, &device_id).await.gql()
    }
}
