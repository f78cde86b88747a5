//! The one error type of linli's rules. The API maps each variant to a stable
//! GraphQL `extensions.code`; internal causes are logged there and never sent.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("sign in first")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Also answered for records in communities the caller does not belong to,
    /// so that their existence is not leaked.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadInput { field: &'static str, message: String },
    #[error("{0}")]
    InvalidState(String),
    #[error("someone else has already claimed this")]
    AlreadyClaimed,
    #[error("not enough points for this")]
    InsufficientPoints,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    /// A service we depend on (WeChat, Redis) cannot be reached or is busy.
    #[error("{0}")]
    Unavailable(String),
    /// Never shown to a client; the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput { field, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::InvalidState(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::InvalidState(_) => "INVALID_STATE",
            Self::AlreadyClaimed => "ALREADY_CLAIMED",
            Self::InsufficientPoints => "INSUFFICIENT_POINTS",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The text a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated(m) => m.clone(),
            Self::Internal(_) => "something went wrong on our side; please try again".into(),
            other => other.to_string(),
        }
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict("this already exists".into()),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::Conflict("this refers to something that does not exist".into())
            }
            _ => match &err {
                DbErr::RecordNotFound(_) => Self::NotFound("record"),
                DbErr::Conn(RuntimeErr::SqlxError(_)) | DbErr::ConnectionAcquire(_) => {
                    Self::Unavailable("the database cannot be reached; please try again".into())
                }
                _ => Self::Internal(err.to_string()),
            },
        }
    }
}

impl<E: Into<DomainError> + std::error::Error> From<sea_orm::TransactionError<E>> for DomainError {
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}
