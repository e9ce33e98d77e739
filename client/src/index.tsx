import { render } from 'solid-js/web'
import { Route, Router } from '@solidjs/router'
import { lazy } from 'solid-js'
import { startPwa } from './offline/pwa'
import { applyTheme } from './ui/theme'
import './ui/styles.css'
import './ui/chat.css'

const Shell = lazy(() => import('./routes/chat/shell'))
const Welcome = lazy(() => import('./routes/chat/shell').then((m) => ({ default: m.Welcome })))
const ConversationView = lazy(() => import('./routes/chat/conversation'))
const Account = lazy(() => import('./routes/home'))
const Login = lazy(() => import('./routes/login'))
const Join = lazy(() => import('./routes/join'))
const Admin = lazy(() => import('./routes/admin'))
const Register = lazy(() => import('./routes/register'))
const VerifyEmail = lazy(() => import('./routes/verify-email'))
const ForgotPassword = lazy(() => import('./routes/password').then((m) => ({ default: m.ForgotPassword })))
const ResetPassword = lazy(() => import('./routes/password').then((m) => ({ default: m.ResetPassword })))

applyTheme()
startPwa()

render(
  () => (
    <Router>
      <Route path="/" component={Shell}>
        <Route path="/" component={Welcome} />
        <Route path="/c/:id" component={ConversationView} />
      </Route>
      <Route path="/account" component={Account} />
      <Route path="/login" component={Login} />
      <Route path="/join/:code" component={Join} />
      <Route path="/admin" component={Admin} />
      <Route path="/register" component={Register} />
      <Route path="/verify-email" component={VerifyEmail} />
      <Route path="/forgot-password" component={ForgotPassword} />
      <Route path="/reset-password" component={ResetPassword} />
    </Router>
  ),
  document.getElementById('root')!,
)
