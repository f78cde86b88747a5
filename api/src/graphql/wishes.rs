//! Micro-wishes (微心愿): post → publish → claim → fulfil → approve → thank.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use domain::pagination::PageRequest;
use domain::wishes as w;

use super::enums::graphql_enum;
use super::loaders::WishHistoryLoader;
use super::org::{Community, Person, community, person};
use super::pages::{Counted, page_to_connection};
use domain::workflow::Subject;

use super::{ContentChecks, ContentScene, OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct WishQuery;

#[derive(Default)]
pub struct WishMutation;

pub struct Wish(pub w::Wish);

#[Object]
impl Wish {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn status(&self) -> WishStatus {
        self.0.status.into()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The story behind the wish, in the resident's words.
    async fn story(&self) -> &str {
        &self.0.story
    }

    /// Signed links that work for about an hour; read the wish again for fresh ones.
    async fn photo_urls(&self, ctx: &Context<'_>) -> Vec<String> {
        domain(ctx).uploads().signed_all(&self.0.photo_urls)
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    async fn placed_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.placed_by)).await
    }

    async fn on_behalf_of(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.on_behalf_of).await
    }

    async fn claimant(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.claimant_id).await
    }

    /// While claimed: fulfil it by then, or it returns to the published list
    /// (or is escalated, per the community's overdue policy).
    async fn claim_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.claim_due_at
    }

    /// When the deadline sweep last found a claim of this wish unfulfilled past its deadline.
    async fn overdue_at(&self) -> Option<DateTime<Utc>> {
        self.0.overdue_at
    }

    async fn fulfil_note(&self) -> Option<&str> {
        self.0.fulfil_note.as_deref()
    }

    /// The fulfiller's photos; signed links, as `photoUrls`.
    async fn fulfil_photo_urls(&self, ctx: &Context<'_>) -> Vec<String> {
        domain(ctx).uploads().signed_all(&self.0.fulfil_photo_urls)
    }

    /// The resident's stars, once thanked.
    async fn rating_stars(&self) -> Option<i32> {
        self.0.rating_stars
    }

    async fn thanks(&self) -> Option<&str> {
        self.0.thanks.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<WishEvent>> {
        let events =
            ctx.data_unchecked::<DataLoader<WishHistoryLoader>>().load_one(self.0.id).await?.unwrap_or_default();
        Ok(events.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject)]
pub struct PostWishInput {
    community_id: ID,
    /// At most 50 characters, e.g. “一个新书包”.
    title: String,
    /// At most 1000 characters.
    story: String,
    #[graphql(default)]
    photo_urls: Vec<String>,
    /// The resident this is for, when a grid worker or secretary posts it.
    on_behalf_of: Option<ID>,
    idempotency_key: Option<String>,
}

#[derive(InputObject, Default)]
pub struct WishFilter {
    community_id: Option<ID>,
    status: Option<WishStatus>,
    #[graphql(default)]
    mine: bool,
    #[graphql(default)]
    claimed_by_me: bool,
}

type WishConnection = Connection<String, Wish, Counted>;

#[Object]
impl WishQuery {
    async fn wish(&self, ctx: &Context<'_>, id: ID) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().get(actor, parse_id(&id, "wish")?).await.map(Wish).gql()
    }

    /// Wishes you may see, newest first. Members and volunteers see the
    /// community's published wishes; residents their own.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn wishes(
        &self,
        ctx: &Context<'_>,
        filter: Option<WishFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<WishConnection> {
        let actor = actor(ctx).await?;
        let f = filter.unwrap_or_default();
        let filter = w::WishFilter {
            community_id: f.community_id.as_ref().map(|c| parse_id(c, "community")).transpose()?,
            status: f.status.map(Into::into),
            mine: f.mine,
            claimed_by_me: f.claimed_by_me,
        };
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        domain(ctx).wishes().list(actor, filter, page).await.map(|p| page_to_connection(p, |w| w.id, Wish)).gql()
    }
}

#[Object]
impl WishMutation {
    /// A resident posts a small wish (or a grid worker posts it for them); the secretary reviews it.
    async fn post_wish(&self, ctx: &Context<'_>, input: PostWishInput) -> Result<Wish> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Forum, &[("title", &input.title), ("story", &input.story)]).await?;
        let post = w::PostWish {
            community_id: parse_id(&input.community_id, "community")?,
            title: input.title,
            story: input.story,
            photo_urls: input.photo_urls,
            on_behalf_of: input.on_behalf_of.as_ref().map(|u| parse_id(u, "user")).transpose()?,
        };
        let wish = domain(ctx).wishes().post(actor, post, input.idempotency_key.as_deref()).await.gql()?;
        ctx.check_photos(Subject::Wish, wish.id, &wish.photo_urls).await;
        Ok(Wish(wish))
    }

    /// The secretary publishes a wish to the community's members.
    async fn publish_wish(&self, ctx: &Context<'_>, wish_id: ID) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().publish(actor, parse_id(&wish_id, "wish")?).await.map(Wish).gql()
    }

    async fn decline_wish(&self, ctx: &Context<'_>, wish_id: ID, reason: String) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().decline(actor, parse_id(&wish_id, "wish")?, &reason).await.map(Wish).gql()
    }

    /// One member claims a published wish; everyone else gets `ALREADY_CLAIMED`.
    async fn claim_wish(&self, ctx: &Context<'_>, wish_id: ID) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().claim(actor, parse_id(&wish_id, "wish")?).await.map(Wish).gql()
    }

    /// The claimant gives the wish back to the published list.
    async fn withdraw_wish_claim(&self, ctx: &Context<'_>, wish_id: ID) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().withdraw_claim(actor, parse_id(&wish_id, "wish")?).await.map(Wish).gql()
    }

    async fn fulfil_wish(
        &self,
        ctx: &Context<'_>,
        wish_id: ID,
        note: String,
        photo_urls: Option<Vec<String>>,
    ) -> Result<Wish> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Forum, &[("note", &note)]).await?;
        let photos = photo_urls.unwrap_or_default();
        let wish = domain(ctx).wishes().fulfil(actor, parse_id(&wish_id, "wish")?, &note, &photos).await.gql()?;
        ctx.check_photos(Subject::Wish, wish.id, &wish.fulfil_photo_urls).await;
        Ok(Wish(wish))
    }

    /// The community party organisation approves the fulfilment; only then does it count.
    async fn approve_wish(&self, ctx: &Context<'_>, wish_id: ID) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().approve(actor, parse_id(&wish_id, "wish")?).await.map(Wish).gql()
    }

    async fn reject_wish(&self, ctx: &Context<'_>, wish_id: ID, reason: String) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().reject(actor, parse_id(&wish_id, "wish")?, &reason).await.map(Wish).gql()
    }

    /// The resident thanks the member and rates the help, 1–5 stars.
    async fn thank_wish(&self, ctx: &Context<'_>, wish_id: ID, stars: i32, thanks: Option<String>) -> Result<Wish> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Comment, &[("thanks", thanks.as_deref().unwrap_or_default())]).await?;
        domain(ctx).wishes().thank(actor, parse_id(&wish_id, "wish")?, stars, thanks).await.map(Wish).gql()
    }

    async fn cancel_wish(&self, ctx: &Context<'_>, wish_id: ID, reason: Option<String>) -> Result<Wish> {
        let actor = actor(ctx).await?;
        domain(ctx).wishes().cancel(actor, parse_id(&wish_id, "wish")?, reason).await.map(Wish).gql()
    }
}

// Output types.

workflow_event!(WishEvent, domain::wishes::WishStatus);

graphql_enum!(
    WishStatus = domain::wishes::WishStatus {
        Escalated: "A claim missed its deadline under the ESCALATE policy; the secretary publishes it again or cancels it.",
    }
);
