import { useSyncExternalStore } from 'react';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { session } from './api/session';
import { ErrorBoundary } from './components/error-boundary';
import { ApiKeysPage } from './pages/api-keys/api-keys-page';
import { EventsPage } from './pages/events/events-page';
import { LookupPage } from './pages/lookup/lookup-page';
import { MemberPage } from './pages/member/member-page';
import { MembersPage } from './pages/members/members-page';
import { OverviewPage } from './pages/overview/overview-page';
import { RewardPage } from './pages/reward/reward-page';
import { RewardEditPage } from './pages/rewards/reward-edit-page';
import { RewardsPage } from './pages/rewards/rewards-page';
import { SignInPage } from './pages/sign-in/sign-in-page';
import { TillPage } from './pages/till/till-page';
import { WebhookPage } from './pages/webhooks/webhook-page';
import { WebhooksPage } from './pages/webhooks/webhooks-page';
import { Navigation } from './navigation';

export function App() {
  const key = useSyncExternalStore(session.subscribe, session.key);
  return <Router base="/console">{key === null ? <SignInPage /> : <Shell />}</Router>;
}

function Shell() {
  const [location] = useLocation();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Navigation />
      <main id="main" tabIndex={-1}>
        <ErrorBoundary key={location}>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/rewards" component={RewardsPage} />
            <Route path="/rewards/new" component={RewardEditPage} />
            <Route path="/rewards/:id/edit" component={RewardEditPage} />
            <Route path="/rewards/:id" component={RewardPage} />
            <Route path="/members" component={MembersPage} />
            <Route path="/members/:id" component={MemberPage} />
            <Route path="/lookup" component={LookupPage} />
            <Route path="/till" component={TillPage} />
            <Route path="/events" component={EventsPage} />
            <Route path="/webhooks" component={WebhooksPage} />
            <Route path="/webhooks/:id" component={WebhookPage} />
            <Route path="/api-keys" component={ApiKeysPage} />
            <Route>
              <h1>Not found</h1>
              <p>
                The console has no such page. <Link href="/">Go to the overview</Link>.
              </p>
            </Route>
          </Switch>
        </ErrorBoundary>
      </main>
    </div>
  );
}
