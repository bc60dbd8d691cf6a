"""The GraphQL API: a Strawberry schema on Starlette, thin resolvers over the domain services."""
