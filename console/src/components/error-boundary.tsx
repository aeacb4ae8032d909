import { Component, type ErrorInfo, type ReactNode } from 'react';

/** A page that fails to render says so, instead of leaving a blank screen; other pages still work. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="problem" role="alert">
        <strong>This page failed to show.</strong>
        <p>{this.state.error.message}</p>
        <button type="button" className="secondary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
