import { Link, useLocation } from 'wouter';
import { session } from './api/session';

const PAGES = [
  { href: '/', label: 'Overview' },
  { href: '/rewards', label: 'Rewards' },
  { href: '/members', label: 'Members' },
  { href: '/lookup', label: 'Code lookup' },
  { href: '/till', label: 'Till' },
  { href: '/events', label: 'Events' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/api-keys', label: 'API keys' },
] as const;

function isCurrent(href: string, location: string): boolean {
  return href === '/' ? location === '/' : location === href || location.startsWith(`${href}/`);
}

export function Navigation() {
  const [location] = useLocation();
  return (
    <header className="top">
      <Link href="/" className="brand">
        Tessera
      </Link>
      <nav aria-label="Console">
        <ul>
          {PAGES.map((page) => (
            <li key={page.href}>
              <Link href={page.href} aria-current={isCurrent(page.href, location) ? 'page' : undefined}>
                {page.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <button type="button" className="secondary sign-out" onClick={() => session.signOut()}>
        Sign out
      </button>
    </header>
  );
}
