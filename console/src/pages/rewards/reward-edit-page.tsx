import { useParams, useLocation } from 'wouter';
import { type Reward, api, unwrap } from '../../api/client';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useSessionState } from '../../hooks/use-session-state';
import { NEW_REWARD, type RewardDraft, changesBody, createBody, draftOf } from './reward-draft';
import { RewardForm } from './reward-form';

/** /rewards/new and /rewards/:id/edit. */
export function RewardEditPage() {
  const { id } = useParams<{ id?: string }>();
  const reward = useLoad(async (signal) => (id ? unwrap(api.GET('/v1/rewards/{id}', { params: { path: { id } }, signal })) : null), [id]);

  if (!id) return <Editor key="new" reward={null} />;
  if (reward.problem) return <ProblemBanner problem={reward.problem} />;
  if (!reward.data) return <Loading what="the reward" />;
  return <Editor key={reward.data.id + reward.data.updatedAt} reward={reward.data} />;
}

function Editor({ reward }: { reward: Reward | null }) {
  const [, navigate] = useLocation();
  const original = reward ? draftOf(reward) : NEW_REWARD;
  // Keyed by the reward's version: a draft of an older version is not applied to a newer one.
  const draftKey = reward ? `reward.${reward.id}.${reward.updatedAt}` : 'reward.new';
  const [draft, setDraft] = useSessionState<RewardDraft>(draftKey, original);
  const action = useAction();

  const save = async () => {
    const saved = await action.run(() =>
      reward
        ? unwrap(api.PATCH('/v1/rewards/{id}', { params: { path: { id: reward.id } }, body: changesBody(original, draft) }))
        : unwrap(api.POST('/v1/rewards', { body: createBody(draft) })),
    );
    if (!saved) return;
    setDraft(original);
    navigate(`/rewards/${saved.id}`);
  };

  return (
    <>
      <PageTitle title={reward ? `Edit ${reward.name}` : 'New reward'}>
        {reward && (
          <button type="button" className="secondary" onClick={() => setDraft(original)}>
            Discard changes
          </button>
        )}
      </PageTitle>
      <ProblemBanner problem={action.problem} title={action.problem?.errors?.length ? 'Some fields need changing' : undefined} />
      <RewardForm
        draft={draft}
        onChange={setDraft}
        onSubmit={save}
        errors={action.errors}
        busy={action.busy}
        editing={reward !== null}
        liveCodes={reward?.guessability?.liveCodes ?? null}
      />
    </>
  );
}
