//! Sign-in from the mini-program, sessions, and the signed-in user.

use async_graphql::{Context, Object, Result, SimpleObject};

use domain::org::people::PhoneBound;

use super::org::User;
use super::{OrGql, actor, auth_service, authenticated, domain};

#[derive(Default)]
pub struct AuthQuery;

#[derive(Default)]
pub struct AuthMutation;

/// Tokens for the mini-program. Send `accessToken` as `Authorization: Bearer …`;
/// before it expires (`expiresIn` seconds), trade `refreshToken` for a new pair.
#[derive(SimpleObject)]
pub struct AuthPayload {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    user: User,
}

async fn payload(ctx: &Context<'_>, p: crate::auth::AuthPayload) -> Result<AuthPayload> {
    let actor = domain(ctx).org().actor(p.user.id).await.gql()?;
    Ok(AuthPayload {
        access_token: p.access_token,
        refresh_token: p.refresh_token,
        expires_in: p.expires_in,
        user: User::of(p.user, &actor),
    })
}

#[Object]
impl AuthQuery {
    /// Who you are and where you belong.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let actor = actor(ctx).await?;
        let user = domain(ctx).org().user(actor.user_id).await.gql()?;
        Ok(User::of(user, actor))
    }
}

#[Object]
impl AuthMutation {
    /// Signs in with the code from `wx.login` (or `dev:<openid>` where dev login is on).
    /// The first sign-in creates the user.
    async fn wechat_login(&self, ctx: &Context<'_>, code: String) -> Result<AuthPayload> {
        let p = auth_service(ctx).wechat_login(domain(ctx), &code).await.gql()?;
        payload(ctx, p).await
    }

    /// Trades a refresh token for a new pair. Each refresh token works once;
    /// presenting a used one ends the whole session.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let p = auth_service(ctx).refresh(domain(ctx), &refresh_token).await.gql()?;
        payload(ctx, p).await
    }

    /// Ends this session now; its tokens stop working.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let who = authenticated(ctx)?;
        auth_service(ctx).logout(domain(ctx), who).await.gql()?;
        Ok(true)
    }

    /// Stores the verified phone behind a code from the phone-number button.
    /// When the community already registered a person with this phone (an
    /// elder imported from the household roster, staff appointed by phone)
    /// and this account is new, the account becomes that person: the answer
    /// is that person, this session ends, and signing in again (`wx.login`,
    /// then `wechatLogin`) continues as them.
    async fn bind_phone(&self, ctx: &Context<'_>, code: String) -> Result<User> {
        let actor = actor(ctx).await?;
        let phone = auth_service(ctx).wechat.phone_number(code.trim()).await.gql()?;
        match domain(ctx).auth().set_verified_phone(actor.user_id, &phone).await.gql()? {
            PhoneBound::Stored(user) => Ok(User::of(user, actor)),
            PhoneBound::Linked { person: user, ended } => {
                auth_service(ctx).end_sessions(&ended).await.gql()?;
                let person = domain(ctx).org().actor(user.id).await.gql()?;
                Ok(User::of(user, &person))
            }
        }
    }

    /// The name neighbours and helpers see (at most 30 characters).
    async fn set_display_name(&self, ctx: &Context<'_>, display_name: String) -> Result<User> {
        let actor = actor(ctx).await?;
        let user = domain(ctx).auth().set_display_name(actor.user_id, &display_name).await.gql()?;
        Ok(User::of(user, actor))
    }
}
